// Reads the files attached to a certificate PDF, in the browser, so that
// the receipt it carries is verified here rather than on the node. It
// reads what certpdf writes and nothing more: the cross-reference tables
// from the end of the file lead to each file specification (/Type
// /Filespec) and its embedded file stream, which is inflated with the
// browser's DecompressionStream. The page's content and the seal are not
// interpreted here: the seal is checked by the node or by jurichain verify.

/** The largest certificate read, in bytes (certpdf.MaxSize). */
export const maxCertificateSize = 16 << 20;

// What all attachments may inflate to together: a hostile PDF must not
// fill the tab's memory.
const maxInflated = 32 << 20;

// How many cross-reference sections (revisions) are followed.
const maxSections = 16;

/** A PDF that is not a certificate as certpdf writes them. */
export class PDFError extends Error {}

class Name {
  constructor(s) {
    this.name = s;
  }
}

class Ref {
  constructor(num) {
    this.num = num;
  }
}

const space = /[\0\t\n\f\r ]/;
const delimiter = /[\0\t\n\f\r ()<>[\]{}/%]/;

// Parser reads PDF values from the file, decoded one character per byte
// so that string positions are byte offsets.
class Parser {
  constructor(text, pos) {
    this.s = text;
    this.pos = pos;
  }

  skip() {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s[this.pos];
      if (space.test(c)) this.pos++;
      else if (c === "%") {
        while (this.pos < s.length && s[this.pos] !== "\n" && s[this.pos] !== "\r") this.pos++;
      } else break;
    }
  }

  word() {
    this.skip();
    const start = this.pos;
    while (this.pos < this.s.length && !delimiter.test(this.s[this.pos])) this.pos++;
    return this.s.slice(start, this.pos);
  }

  expect(keyword) {
    const w = this.word();
    if (w !== keyword) throw new PDFError(`expected "${keyword}" at byte ${this.pos - w.length}, found "${w.slice(0, 20)}"`);
  }

  value(depth = 0) {
    if (depth > 32) throw new PDFError("values nested too deep");
    this.skip();
    const s = this.s;
    const c = s[this.pos];
    if (c === undefined) throw new PDFError("the file ends inside a value");
    if (c === "/") {
      this.pos++;
      const start = this.pos;
      while (this.pos < s.length && !delimiter.test(s[this.pos])) this.pos++;
      return new Name(s.slice(start, this.pos).replace(/#([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))));
    }
    if (c === "<" && s[this.pos + 1] === "<") {
      this.pos += 2;
      const dict = new Map();
      for (;;) {
        this.skip();
        if (s.startsWith(">>", this.pos)) {
          this.pos += 2;
          return dict;
        }
        const key = this.value(depth + 1);
        if (!(key instanceof Name)) throw new PDFError(`a dictionary key at byte ${this.pos} is not a name`);
        dict.set(key.name, this.value(depth + 1));
      }
    }
    if (c === "<") return this.hexString();
    if (c === "(") return this.literalString();
    if (c === "[") {
      this.pos++;
      const arr = [];
      for (;;) {
        this.skip();
        if (s[this.pos] === "]") {
          this.pos++;
          return arr;
        }
        arr.push(this.value(depth + 1));
      }
    }
    const w = this.word();
    if (w === "true") return true;
    if (w === "false") return false;
    if (w === "null") return null;
    if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(w)) throw new PDFError(`unexpected "${w.slice(0, 20) || s[this.pos]}" at byte ${this.pos}`);
    const n = Number(w);
    if (/^\d+$/.test(w)) {
      // "N G R" is a reference.
      const save = this.pos;
      const gen = this.word();
      if (/^\d+$/.test(gen) && this.word() === "R") return new Ref(n);
      this.pos = save;
    }
    return n;
  }

  hexString() {
    const end = this.s.indexOf(">", this.pos);
    if (end < 0) throw new PDFError("a hex string does not end");
    let h = this.s.slice(this.pos + 1, end).replace(/[\0\t\n\f\r ]/g, "");
    this.pos = end + 1;
    if (!/^[0-9A-Fa-f]*$/.test(h)) throw new PDFError("a hex string holds other characters");
    if (h.length % 2) h += "0";
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
    return out;
  }

  literalString() {
    const s = this.s;
    const out = [];
    let depth = 0;
    this.pos++;
    for (;;) {
      const c = s[this.pos++];
      if (c === undefined) throw new PDFError("a string does not end");
      if (c === "(") depth++;
      else if (c === ")") {
        if (depth === 0) return Uint8Array.from(out);
        depth--;
      } else if (c === "\\") {
        const e = s[this.pos++];
        const simple = { n: 10, r: 13, t: 9, b: 8, f: 12, "(": 40, ")": 41, "\\": 92 };
        if (e in simple) out.push(simple[e]);
        else if (/[0-7]/.test(e)) {
          let oct = e;
          while (oct.length < 3 && /[0-7]/.test(s[this.pos])) oct += s[this.pos++];
          out.push(parseInt(oct, 8) & 0xff);
        } else if (e === "\r") {
          if (s[this.pos] === "\n") this.pos++;
        } else if (e !== "\n") out.push(e.charCodeAt(0));
        continue;
      }
      out.push(c.charCodeAt(0));
    }
  }
}

// text decodes a PDF text string: UTF-16BE after a byte order mark, else
// one character per byte (certpdf writes plain ASCII so).
function text(bytes) {
  if (!(bytes instanceof Uint8Array)) return "";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  return String.fromCharCode(...bytes);
}

// xref reads the cross-reference sections from the last one back through
// /Prev, and returns each object's offset (the newest revision's wins).
function xref(s) {
  const at = s.lastIndexOf("startxref");
  if (at < 0) throw new PDFError("no startxref: the file is not a complete PDF");
  const p = new Parser(s, at + "startxref".length);
  let offset = p.value();
  const offsets = new Map();
  const seen = new Set();
  while (typeof offset === "number" && !seen.has(offset)) {
    if (seen.size >= maxSections) throw new PDFError("too many revisions");
    seen.add(offset);
    if (offset < 0 || offset >= s.length) throw new PDFError("startxref points outside the file");
    p.pos = offset;
    p.expect("xref");
    for (;;) {
      p.skip();
      if (s.startsWith("trailer", p.pos)) break;
      const first = p.value();
      const count = p.value();
      if (!Number.isInteger(first) || !Number.isInteger(count) || count < 0 || count > 1e6) {
        throw new PDFError("a cross-reference section is malformed (a certificate has no compressed cross-reference streams)");
      }
      p.skip();
      for (let i = 0; i < count; i++) {
        const entry = s.substr(p.pos, 20);
        const m = /^(\d{10}) (\d{5}) ([nf])/.exec(entry);
        if (!m) throw new PDFError(`cross-reference entry ${first + i} is malformed`);
        if (m[3] === "n" && !offsets.has(first + i)) offsets.set(first + i, Number(m[1]));
        p.pos += 20;
      }
    }
    p.expect("trailer");
    const trailer = p.value();
    offset = trailer instanceof Map ? trailer.get("Prev") : undefined;
  }
  return offsets;
}

// object reads object num: its value and, for a stream, where its data
// starts.
function object(s, offsets, num) {
  const at = offsets.get(num);
  if (at === undefined) throw new PDFError(`object ${num} is not in the cross-reference table`);
  const p = new Parser(s, at);
  if (p.value() !== num) throw new PDFError(`object ${num} is not where the cross-reference table says`);
  p.value();
  p.expect("obj");
  const value = p.value();
  p.skip();
  let data;
  if (value instanceof Map && s.startsWith("stream", p.pos)) {
    data = p.pos + "stream".length;
    if (s[data] === "\r") data++;
    if (s[data] === "\n") data++;
  }
  return { value, data };
}

async function inflate(bytes, budget) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > budget) {
      await reader.cancel();
      throw new PDFError("the attachments inflate to more than a certificate holds");
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The files attached to a PDF (Uint8Array), by name: a Map of name to
 * Uint8Array. Throws PDFError when the PDF cannot be read so.
 */
export async function pdfAttachments(bytes) {
  if (bytes.length > maxCertificateSize) throw new PDFError(`the file is larger than ${maxCertificateSize} bytes, larger than any certificate`);
  if (String.fromCharCode(...bytes.subarray(0, 5)) !== "%PDF-") throw new PDFError("the file is not a PDF");
  const s = new TextDecoder("latin1").decode(bytes);
  const offsets = xref(s);
  const out = new Map();
  let budget = maxInflated;
  for (const num of offsets.keys()) {
    let spec;
    try {
      spec = object(s, offsets, num).value;
    } catch {
      // Only file specifications matter; an object this reader cannot
      // parse (a font program, say) is not one of them.
      continue;
    }
    if (!(spec instanceof Map) || spec.get("Type")?.name !== "Filespec") continue;
    const name = text(spec.get("UF")) || text(spec.get("F"));
    const ef = spec.get("EF");
    const ref = ef instanceof Map ? (ef.get("F") ?? ef.get("UF")) : undefined;
    if (!name || !(ref instanceof Ref)) throw new PDFError(`file specification ${num} names no embedded file`);
    if (out.has(name)) throw new PDFError(`two attachments are named ${name}`);
    const { value: dict, data } = object(s, offsets, ref.num);
    if (data === undefined) throw new PDFError(`the embedded file ${name} is not a stream`);
    let length = dict.get("Length");
    if (length instanceof Ref) length = object(s, offsets, length.num).value;
    if (!Number.isInteger(length) || length < 0 || data + length > bytes.length) throw new PDFError(`the embedded file ${name} has a bad /Length`);
    const raw = bytes.subarray(data, data + length);
    const filter = dict.get("Filter");
    const filters = (Array.isArray(filter) ? filter : filter ? [filter] : []).map((f) => f?.name);
    let file;
    if (filters.length === 0) file = raw.slice();
    else if (filters.length === 1 && filters[0] === "FlateDecode" && !dict.has("DecodeParms")) {
      try {
        file = await inflate(raw, budget);
      } catch (err) {
        if (err instanceof PDFError) throw err;
        throw new PDFError(`the embedded file ${name} does not inflate: ${err.message}`);
      }
    } else throw new PDFError(`the embedded file ${name} is encoded with ${filters.join(", ")}, which a certificate does not use`);
    budget -= file.length;
    out.set(name, file);
  }
  return out;
}
