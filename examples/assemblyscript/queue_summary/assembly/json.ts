// A small JSON reader and writer: AssemblyScript has no JSON in its
// standard library, and a plugin needs little of it. Strings are
// AssemblyScript's (UTF-16); conversion from and to the UTF-8 bytes that
// cross the ABI happens in abi.ts.

export const enum Kind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

// Value is one parsed JSON value. Objects keep their keys in order.
export class Value {
  kind: Kind = Kind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  items: Value[] = [];
  keys: string[] = [];

  // get returns the member key of an object, or null.
  get(key: string): Value | null {
    if (this.kind != Kind.Object) return null;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }

  isInteger(): bool {
    return this.kind == Kind.Number && Math.floor(this.num) == this.num && Math.abs(this.num) <= 9007199254740991;
  }

  // describe names the value's type for error messages.
  describe(): string {
    switch (this.kind) {
      case Kind.Null: return "null";
      case Kind.Bool: return "a boolean";
      case Kind.Number: return "a number";
      case Kind.String: return "a string";
      case Kind.Array: return "a list";
      default: return "an object";
    }
  }
}

// Result of parse: a value, or an error with the offset it was found at.
export class Parsed {
  value: Value | null = null;
  error: string = "";
}

// parse reads one JSON document; trailing content other than whitespace
// is an error.
export function parse(src: string): Parsed {
  const p = new Parser(src);
  const out = new Parsed();
  const v = p.value(0);
  p.space();
  if (p.err == "" && p.pos < src.length) p.fail("unexpected content after the value");
  if (p.err != "") {
    out.error = p.err + " at offset " + p.pos.toString();
    return out;
  }
  out.value = v;
  return out;
}

// maxDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxDepth = 64;

class Parser {
  pos: i32 = 0;
  err: string = "";
  constructor(public src: string) {}

  fail(msg: string): Value {
    if (this.err == "") this.err = msg;
    return new Value();
  }

  space(): void {
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }

  value(depth: i32): Value {
    if (depth > maxDepth) return this.fail("nested too deeply");
    this.space();
    if (this.pos >= this.src.length) return this.fail("unexpected end of input");
    const c = this.src.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const v = new Value();
      v.kind = Kind.String;
      v.str = this.string();
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.src.startsWith("true", this.pos)) return this.literal(4, Kind.Bool, true);
    if (this.src.startsWith("false", this.pos)) return this.literal(5, Kind.Bool, false);
    if (this.src.startsWith("null", this.pos)) return this.literal(4, Kind.Null, false);
    return this.fail("unexpected character");
  }

  literal(n: i32, kind: Kind, b: bool): Value {
    this.pos += n;
    const v = new Value();
    v.kind = kind;
    v.bool = b;
    return v;
  }

  number(): Value {
    const start = this.pos;
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      if (!((c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x65 || c == 0x45)) break;
      this.pos++;
    }
    const text = this.src.substring(start, this.pos);
    const n = parseFloat(text);
    if (isNaN(n)) return this.fail("invalid number");
    const v = new Value();
    v.kind = Kind.Number;
    v.num = n;
    return v;
  }

  string(): string {
    this.pos++; // opening quote
    let out = "";
    let run = this.pos;
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      if (c == 0x22) {
        out += this.src.substring(run, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.fail("control character in a string");
        return out;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      out += this.src.substring(run, this.pos);
      if (this.pos + 1 >= this.src.length) break;
      const e = this.src.charCodeAt(this.pos + 1);
      this.pos += 2;
      if (e == 0x22) out += "\"";
      else if (e == 0x5c) out += "\\";
      else if (e == 0x2f) out += "/";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75 && this.pos + 4 <= this.src.length) {
        const code = i32(parseInt(this.src.substring(this.pos, this.pos + 4), 16));
        if (isNaN(<f64>code) || code < 0) {
          this.fail("invalid \\u escape");
          return out;
        }
        out += String.fromCharCode(code); // surrogate halves pair up in UTF-16
        this.pos += 4;
      } else {
        this.fail("invalid escape");
        return out;
      }
      run = this.pos;
    }
    this.fail("unterminated string");
    return out;
  }

  array(depth: i32): Value {
    this.pos++;
    const v = new Value();
    v.kind = Kind.Array;
    this.space();
    if (this.pos < this.src.length && this.src.charCodeAt(this.pos) == 0x5d) {
      this.pos++;
      return v;
    }
    while (this.err == "") {
      v.items.push(this.value(depth + 1));
      this.space();
      if (this.pos >= this.src.length) return this.fail("unterminated list");
      const c = this.src.charCodeAt(this.pos++);
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail("expected , or ] in a list");
    }
    return v;
  }

  object(depth: i32): Value {
    this.pos++;
    const v = new Value();
    v.kind = Kind.Object;
    this.space();
    if (this.pos < this.src.length && this.src.charCodeAt(this.pos) == 0x7d) {
      this.pos++;
      return v;
    }
    while (this.err == "") {
      this.space();
      if (this.pos >= this.src.length || this.src.charCodeAt(this.pos) != 0x22) return this.fail("expected a key");
      v.keys.push(this.string());
      this.space();
      if (this.pos >= this.src.length || this.src.charCodeAt(this.pos) != 0x3a) return this.fail("expected : after a key");
      this.pos++;
      v.items.push(this.value(depth + 1));
      this.space();
      if (this.pos >= this.src.length) return this.fail("unterminated object");
      const c = this.src.charCodeAt(this.pos++);
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail("expected , or } in an object");
    }
    return v;
  }
}

// quote returns s as a JSON string literal.
export function quote(s: string): string {
  let out = "\"";
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out += s.substring(run, i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else out += "\\u" + c.toString(16).padStart(4, "0");
    run = i + 1;
  }
  return out + s.substring(run) + "\"";
}

// integer formats a whole number without a fractional part, as JSON
// integers must look for schema validators.
export function integer(n: f64): string {
  return (<i64>n).toString();
}

// ObjectWriter builds a JSON object member by member.
export class ObjectWriter {
  private parts: string[] = [];

  raw(key: string, json: string): ObjectWriter {
    this.parts.push(quote(key) + ":" + json);
    return this;
  }
  str(key: string, v: string): ObjectWriter { return this.raw(key, quote(v)); }
  int(key: string, v: f64): ObjectWriter { return this.raw(key, integer(v)); }
  bool(key: string, v: bool): ObjectWriter { return this.raw(key, v ? "true" : "false"); }

  toString(): string {
    return "{" + this.parts.join(",") + "}";
  }
}
