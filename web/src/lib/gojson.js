// JSON written byte for byte as Go's encoding/json writes it. Two things
// depend on those bytes: the commitment to a registrant's real-name data,
// which the node recomputes over json.Marshal of what it decoded, and the
// metadata opening a depositor keeps, which the CLI writes with
// json.MarshalIndent (the portal's copy should be the same file).
//
// Go escapes what JSON.stringify leaves alone: <, > and & (so that JSON
// can sit in HTML) and the line separators U+2028 and U+2029 (which
// JavaScript once refused in string literals).

const shortEscapes = { '"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** A string as Go's json.Marshal quotes it. */
export function goString(s) {
  let out = '"';
  for (const ch of String(s)) {
    const c = ch.codePointAt(0);
    if (ch in shortEscapes) out += shortEscapes[ch];
    else if (c < 0x20 || ch === "<" || ch === ">" || ch === "&" || c === 0x2028 || c === 0x2029) {
      out += "\\u" + c.toString(16).padStart(4, "0");
    } else if (c >= 0xd800 && c <= 0xdfff) out += "\\ufffd"; // a lone surrogate: Go sees invalid UTF-8
    else out += ch;
  }
  return out + '"';
}

/**
 * A number as Go's json.Marshal writes a float64: the shortest digits that
 * read back, in exponent form below 1e-6 and from 1e21, which is what
 * JavaScript writes too, except for minus zero.
 */
export function goNumber(n) {
  if (!Number.isFinite(n)) throw new TypeError("JSON has no " + n);
  return Object.is(n, -0) ? "-0" : String(n);
}

/**
 * Encodes value as Go's json.Marshal (indent "") or json.MarshalIndent
 * (value, "", indent) would: objects keep their key order (build them in
 * the Go struct's field order, leaving out what omitempty drops).
 */
export function goJSON(value, indent = "") {
  return encode(value, indent, "");
}

function encode(v, indent, prefix) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return goString(v);
  if (typeof v === "number") return goNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  const inner = prefix + indent;
  const nl = indent ? "\n" : "";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return "[" + nl + v.map((x) => inner + encode(x, indent, inner)).join("," + nl) + nl + prefix + "]";
  }
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return "{}";
  const sep = indent ? ": " : ":";
  return "{" + nl + entries.map(([k, x]) => inner + goString(k) + sep + encode(x, indent, inner)).join("," + nl) + nl + prefix + "}";
}
