// queue_summary: an easel plugin written in AssemblyScript from
// docs/abi.md alone, without the Go SDK. One call answers what an agent
// asks before queueing work on ComfyUI: is it busy (running and pending
// jobs, in execution order), and does it have room (each device's free
// VRAM, free RAM)?

import { parse, quote, integer, Kind, Value, ObjectWriter } from "./json";
import { alloc, free, takeInput, pack, comfyuiGet, Response, str, num } from "./abi";

// The tool's description: the "tool" member of easel_describe's answer.
const description = `{
  "name": "queue_summary",
  "title": "Queue and capacity summary",
  "description": "Summarises ComfyUI's load in one call: the running job, the number of pending jobs with the next ones in execution order (prompt_id, queue number, node count), each device's free and total VRAM, free RAM, and the ComfyUI version. Use it before queueing work to judge the wait; use get_queue for full queue entries and get_system_stats for every server fact. Read-only.",
  "inputSchema": {
    "type": "object",
    "properties": {
      "max_pending": {"type": "integer", "minimum": 0, "maximum": 100, "default": 5, "description": "How many pending jobs to list (the count covers all of them)"}
    },
    "additionalProperties": false
  },
  "outputSchema": {
    "type": "object",
    "properties": {
      "comfyui_version": {"type": "string"},
      "idle": {"type": "boolean", "description": "Nothing running or pending"},
      "running": {"type": "array", "items": {"$ref": "#/$defs/job"}},
      "pending_count": {"type": "integer"},
      "pending": {"type": "array", "items": {"$ref": "#/$defs/job"}, "description": "The next pending jobs, first to run first"},
      "devices": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "type": {"type": "string"},
        "vram_total": {"type": "integer"}, "vram_free": {"type": "integer"}
      }, "required": ["name", "type", "vram_total", "vram_free"]}},
      "ram_total": {"type": "integer"},
      "ram_free": {"type": "integer"}
    },
    "required": ["comfyui_version", "idle", "running", "pending_count", "pending", "devices", "ram_total", "ram_free"],
    "$defs": {"job": {"type": "object", "properties": {
      "prompt_id": {"type": "string"}, "number": {"type": "integer"}, "nodes": {"type": "integer"}
    }, "required": ["prompt_id", "number", "nodes"]}}
  },
  "annotations": {"readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false}
}`;

const defaultPending = 5;
const maxPending = 100;

// ---- ABI exports (docs/abi.md, "Exports a plugin provides") ----

export function easel_alloc(size: i32): usize {
  return alloc(size);
}

export function easel_free(ptr: usize): void {
  free(ptr);
}

export function easel_describe(): u64 {
  return pack("{\"abi\":1,\"tool\":" + description + "}");
}

export function easel_call(ptr: usize, len: i32): u64 {
  const input = takeInput(ptr, len);
  return pack("{\"result\":" + call(input) + "}");
}

// ---- the tool ----

// call runs one call and returns its CallToolResult as JSON. Every
// failure is a tool-level error the agent can act on.
function call(input: string): string {
  const parsed = parse(input);
  const root = parsed.value;
  if (root === null) return toolError("the call input is not JSON: " + parsed.error);
  const args = root.get("arguments");
  const limit = maxPendingArg(args);
  if (limit < 0) return toolError(argError);

  const queue = getJSON("/queue");
  if (queue.error != "") return toolError(queue.error);
  const stats = getJSON("/system_stats");
  if (stats.error != "") return toolError(stats.error);
  return summarise(queue.value!, stats.value!, limit);
}

// argError is why maxPendingArg refused the arguments.
let argError = "";

// maxPendingArg checks the arguments and returns max_pending, or -1 after
// setting argError.
function maxPendingArg(args: Value | null): i32 {
  if (args === null || args.kind == Kind.Null) return defaultPending;
  if (args.kind != Kind.Object) {
    argError = "arguments must be an object, got " + args.describe();
    return -1;
  }
  let limit = defaultPending;
  for (let i = 0; i < args.keys.length; i++) {
    const key = args.keys[i];
    const v = args.items[i];
    if (key != "max_pending") {
      argError = "unknown argument " + quote(key) + " (this tool takes: max_pending)";
      return -1;
    }
    if (!v.isInteger() || v.num < 0 || v.num > maxPending) {
      argError = "argument \"max_pending\": must be an integer from 0 to " + maxPending.toString() + ", got " + (v.kind == Kind.Number ? (v.isInteger() ? integer(v.num) : v.num.toString()) : v.describe());
      return -1;
    }
    limit = i32(v.num);
  }
  return limit;
}

// Fetched is a decoded JSON answer of ComfyUI, or why there is none.
class Fetched {
  value: Value | null = null;
  error: string = "";
}

// getJSON fetches path and decodes it, explaining every failure with the
// URL the host requested.
function getJSON(path: string): Fetched {
  const res: Response = comfyuiGet(path);
  const out = new Fetched();
  if (res.status == 0) {
    out.error = res.error != "" ? res.error : "no response from ComfyUI for " + path;
    return out;
  }
  if (res.status != 200) {
    out.error = "ComfyUI answered " + res.status.toString() + " for " + res.url + ": " + snippet(res.body);
    return out;
  }
  const parsed = parse(res.body);
  if (parsed.value === null || parsed.value!.kind != Kind.Object) {
    out.error = "ComfyUI's answer from " + res.url + " is not a JSON object (" + (parsed.error != "" ? parsed.error : "got " + parsed.value!.describe()) + "): " + snippet(res.body);
    return out;
  }
  out.value = parsed.value;
  return out;
}

function snippet(body: string): string {
  return body.length <= 200 ? body : body.substring(0, 200) + "…";
}

// Job is one queue entry: [number, prompt_id, prompt, extra_data, outputs].
class Job {
  number: f64 = 0;
  promptID: string = "";
  nodes: i32 = 0;

  toJSON(): string {
    return new ObjectWriter().str("prompt_id", this.promptID).int("number", this.number).int("nodes", this.nodes).toString();
  }
}

function jobs(list: Value | null): Job[] {
  const out: Job[] = [];
  if (list === null || list.kind != Kind.Array) return out;
  for (let i = 0; i < list.items.length; i++) {
    const e = list.items[i];
    if (e.kind != Kind.Array || e.items.length < 3) continue;
    const j = new Job();
    j.number = num(e.items[0]);
    j.promptID = str(e.items[1]);
    const prompt = e.items[2];
    j.nodes = prompt.kind == Kind.Object ? prompt.keys.length : 0;
    out.push(j);
  }
  // ComfyUI runs the lowest number first; /queue does not promise order.
  out.sort((a: Job, b: Job): i32 => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0));
  return out;
}

function jobList(js: Job[], limit: i32): string {
  const parts: string[] = [];
  for (let i = 0; i < js.length && i < limit; i++) parts.push(js[i].toJSON());
  return "[" + parts.join(",") + "]";
}

// summarise builds the result from /queue and /system_stats.
function summarise(queue: Value, stats: Value, limit: i32): string {
  const running = jobs(queue.get("queue_running"));
  const pending = jobs(queue.get("queue_pending"));
  const system = stats.get("system");
  const version = str(system === null ? null : system.get("comfyui_version"));
  const ramTotal = num(system === null ? null : system.get("ram_total"));
  const ramFree = num(system === null ? null : system.get("ram_free"));

  let text = "ComfyUI " + (version != "" ? version : "(unknown version)") + ": ";
  if (running.length == 0 && pending.length == 0) text += "idle.";
  else {
    text += running.length.toString() + " running";
    if (running.length > 0) text += " (" + running[0].promptID + ")";
    text += ", " + pending.length.toString() + " pending";
    if (pending.length > 0 && limit > 0) {
      const next: string[] = [];
      for (let i = 0; i < pending.length && i < limit; i++) next.push(pending[i].promptID);
      text += "; next: " + next.join(", ");
    }
    text += ".";
  }

  const devices: string[] = [];
  const devs = stats.get("devices");
  if (devs !== null && devs.kind == Kind.Array) {
    for (let i = 0; i < devs.items.length; i++) {
      const d = devs.items[i];
      const name = str(d.get("name"));
      const total = num(d.get("vram_total"));
      const free = num(d.get("vram_free"));
      devices.push(new ObjectWriter().str("name", name).str("type", str(d.get("type"))).int("vram_total", total).int("vram_free", free).toString());
      text += " " + name + ": " + gib(free) + " of " + gib(total) + " VRAM free.";
    }
  }
  text += " RAM: " + gib(ramFree) + " of " + gib(ramTotal) + " free.";

  const structured = new ObjectWriter()
    .str("comfyui_version", version)
    .bool("idle", running.length == 0 && pending.length == 0)
    .raw("running", jobList(running, running.length))
    .int("pending_count", pending.length)
    .raw("pending", jobList(pending, limit))
    .raw("devices", "[" + devices.join(",") + "]")
    .int("ram_total", ramTotal)
    .int("ram_free", ramFree)
    .toString();
  return "{\"content\":[{\"type\":\"text\",\"text\":" + quote(text) + "}],\"structuredContent\":" + structured + "}";
}

// gib formats bytes as GiB with one decimal.
function gib(bytes: f64): string {
  const tenths = Math.round(bytes / 107374182.4);
  return integer(Math.floor(tenths / 10)) + "." + integer(tenths % 10) + " GiB";
}

function toolError(msg: string): string {
  return "{\"content\":[{\"type\":\"text\",\"text\":" + quote(msg) + "}],\"isError\":true}";
}
