// The easel plugin ABI (docs/abi.md), version 1, for AssemblyScript: host
// function imports, buffer ownership, packed results and the framed
// messages of comfyui_request. index.ts holds the tool itself.

import { parse, quote, Value, Kind } from "./json";

// Host functions, imported from module easel_v1. A plugin imports only
// those it uses.
@external("easel_v1", "comfyui_request")
declare function hostComfyUIRequest(reqPtr: usize, reqLen: i32, bufPtr: usize, bufCap: i32): i32;
@external("easel_v1", "take")
declare function hostTake(bufPtr: usize, bufCap: i32): i32;
@external("easel_v1", "log")
declare function hostLog(level: i32, msgPtr: usize, msgLen: i32): void;

// maxAlloc is the largest buffer easel_alloc hands out; beyond it the
// answer is 0 ("cannot allocate"), as the ABI asks, rather than a trap.
const maxAlloc: i32 = 256 << 20;

// alloc backs easel_alloc. The buffer is pinned: the incremental garbage
// collector neither frees nor moves it until unpinned (easel_free, or
// easel_call taking ownership of its input).
export function alloc(size: i32): usize {
  if (size < 0 || size > maxAlloc) return 0;
  const ptr = changetype<usize>(new ArrayBuffer(size));
  __pin(ptr);
  return ptr;
}

export function free(ptr: usize): void {
  if (ptr != 0) __unpin(ptr);
}

// takeInput reads the call input that the host wrote into a buffer from
// alloc, and releases the buffer: easel_call owns it now.
export function takeInput(ptr: usize, len: i32): string {
  const s = String.UTF8.decodeUnsafe(ptr, <usize>len);
  __unpin(ptr);
  return s;
}

// output keeps the last answer reachable, so the garbage collector leaves
// it in place until the host has copied it (before its next call).
let output: ArrayBuffer = new ArrayBuffer(0);

// pack returns json as the ABI's packed (ptr << 32) | len.
export function pack(json: string): u64 {
  output = String.UTF8.encode(json);
  return (<u64>changetype<usize>(output) << 32) | <u64>output.byteLength;
}

// Log levels of the log host function.
export const enum Level {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
}

export function log(level: Level, msg: string): void {
  const b = String.UTF8.encode(msg);
  hostLog(level, changetype<usize>(b), b.byteLength);
}

// abort replaces AssemblyScript's default abort (an import from "env",
// which the host refuses): it logs where the plugin failed, then traps, so
// the host discards the instance and reports the failure to the client.
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let msg = "abort: " + (message === null ? "(no message)" : message);
  if (fileName !== null) msg += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  log(Level.Error, msg);
  unreachable();
}

// Response is ComfyUI's answer to one request, or why there is none.
export class Response {
  status: i32 = 0;
  url: string = "";
  error: string = "";
  contentType: string = "";
  body: string = "";
}

// scratch is the buffer answers are first written into; larger answers
// are stashed by the host and fetched with take.
const scratch = new ArrayBuffer(64 << 10);

// comfyuiGet makes a GET request to ComfyUI through the host. path starts
// with / and is already escaped.
export function comfyuiGet(path: string): Response {
  const req = String.UTF8.encode("{\"method\":\"GET\",\"path\":" + quote(path) + "}\n");
  let buf = scratch;
  const n = hostComfyUIRequest(changetype<usize>(req), req.byteLength, changetype<usize>(buf), buf.byteLength);
  const res = new Response();
  if (n < 0) {
    res.error = "the host refused the request (code " + n.toString() + ")";
    return res;
  }
  if (n > buf.byteLength) {
    buf = new ArrayBuffer(n);
    const got = hostTake(changetype<usize>(buf), n);
    if (got != n) {
      res.error = "could not take the stashed response (take returned " + got.toString() + ")";
      return res;
    }
  }
  return readFramed(buf, n, res);
}

// readFramed splits a framed message (one line of JSON header, \n, body)
// into res.
function readFramed(buf: ArrayBuffer, n: i32, res: Response): Response {
  const bytes = Uint8Array.wrap(buf, 0, n);
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) {
    res.error = "the host's response has no header line";
    return res;
  }
  const header = parse(String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>nl));
  const h = header.value;
  if (h === null || h.kind != Kind.Object) {
    res.error = "the host's response header is not a JSON object: " + header.error;
    return res;
  }
  res.status = i32(num(h.get("status")));
  res.url = str(h.get("url"));
  res.error = str(h.get("error"));
  res.contentType = str(h.get("content_type"));
  res.body = String.UTF8.decodeUnsafe(changetype<usize>(buf) + <usize>nl + 1, <usize>(n - nl - 1));
  return res;
}

// str is v's text, or "" when v is absent or not a string.
export function str(v: Value | null): string {
  return v !== null && v.kind == Kind.String ? v.str : "";
}

// num is v's value, or 0 when v is absent or not a number.
export function num(v: Value | null): f64 {
  return v !== null && v.kind == Kind.Number ? v.num : 0;
}
