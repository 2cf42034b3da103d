// Byte helpers shared by the verifier. Go reads receipts, policies and
// notes as bytes; these helpers let the port do the same instead of
// reasoning about UTF-16 strings, so that byte offsets, lengths and
// encodings agree with the Go code exactly.

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const looseDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** UTF-8 bytes of s; lone surrogates become U+FFFD, as Go's JSON decoder does. */
export function utf8(s) {
  return encoder.encode(s);
}

/** The number of UTF-8 bytes of s. */
export function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Decodes UTF-8, or returns null when b is not valid UTF-8 (Go's utf8.Valid). */
export function utf8Strict(b) {
  try {
    return strictDecoder.decode(b);
  } catch {
    return null;
  }
}

/**
 * Decodes UTF-8 without losing a byte: each byte that is not part of a
 * valid sequence (Go's utf8.DecodeRune returning RuneError, 1) becomes
 * the lone surrogate U+DC80..U+DCFF, which valid UTF-8 never decodes to.
 * Text read so compares, splits and measures as Go's byte strings do,
 * and a name holding such a byte is not well formed (Go's
 * utf8.ValidString is false). A byte order mark is kept as U+FEFF, as Go
 * keeps its bytes. displayText shows such a string.
 */
export function utf8Escaped(b) {
  const s = utf8Strict(b);
  if (s !== null) return s;
  let out = "";
  let start = 0; // of the run of valid bytes not yet decoded
  for (let i = 0; i < b.length; ) {
    const n = validSequence(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += strictDecoder.decode(b.subarray(start, i)) + String.fromCharCode(0xdc00 | b[i]);
    i++;
    start = i;
  }
  return out + strictDecoder.decode(b.subarray(start));
}

// validSequence is the length of the valid UTF-8 sequence at b[i], or 0
// (the table of Unicode's well-formed byte sequences, as Go decodes).
function validSequence(b, i) {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (j, lo = 0x80, hi = 0xbf) => i + j < b.length && b[i + j] >= lo && b[i + j] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * Text for people and for JSON: each lone surrogate (an invalid byte
 * utf8Escaped kept) becomes U+FFFD, as Go's JSON encoder writes an
 * invalid byte.
 */
export function displayText(s) {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/** Decodes UTF-8, replacing invalid sequences with U+FFFD. */
export function utf8Loose(b) {
  return looseDecoder.decode(b);
}

/** Latin-1 view of bytes: one character per byte, for byte-exact string work. */
export function binaryString(b) {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192));
  return s;
}

/** Bytes of an ASCII string (each character < 0x80). */
export function ascii(s) {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lowercase hex of b. */
export function toHex(b) {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

/** Bytes of an even-length hex string; throws on anything else. */
export function fromHex(s) {
  if (typeof s !== "string" || s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new Error(`not a hex string: ${String(s).slice(0, 20)}`);
  }
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.substr(2 * i, 2), 16);
  return b;
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Index of the last occurrence of needle in b, or -1. */
export function lastIndexOf(b, needle) {
  outer: for (let i = b.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (b[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export function startsWith(b, prefix) {
  return b.length >= prefix.length && equal(b.subarray(0, prefix.length), prefix);
}

/** Big-endian unsigned 64-bit integer at b[off:off+8], as a BigInt. */
export function uint64(b, off) {
  const v = new DataView(b.buffer, b.byteOffset + off, 8);
  return (BigInt(v.getUint32(0)) << 32n) | BigInt(v.getUint32(4));
}

/** Big-endian unsigned integer of bytes, as a BigInt. */
export function bigFromBytes(b) {
  return b.length === 0 ? 0n : BigInt("0x" + toHex(b));
}

/** Big-endian bytes of a non-negative BigInt, left-padded to size. */
export function bigToBytes(v, size) {
  return fromHex(v.toString(16).padStart(size * 2, "0"));
}

/** A count Go keeps as uint64, as a Number when exact and a decimal string otherwise. */
export function count(v) {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64_DECODE[B64.charCodeAt(i)] = i;

/** Standard padded base64 of b (Go's base64.StdEncoding.EncodeToString). */
export function base64(b) {
  let s = "";
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + B64[v & 63];
  }
  if (b.length - i === 1) {
    const v = b[i] << 16;
    s += B64[v >> 18] + B64[(v >> 12) & 63] + "==";
  } else if (b.length - i === 2) {
    const v = (b[i] << 16) | (b[i + 1] << 8);
    s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + "=";
  }
  return s;
}

/** Unpadded URL-safe base64 (Go's base64.RawURLEncoding). */
export function base64RawURL(b) {
  return base64(b).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * Decodes standard padded base64 as Go's base64.StdEncoding does: CR and
 * LF anywhere are skipped, padding is required, and unused low bits of
 * the last quantum are ignored unless strict (StdEncoding.Strict()).
 * Returns null for input Go refuses.
 */
export function fromBase64(s, { strict = false } = {}) {
  let clean = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x0a && c !== 0x0d) clean += s[i];
  }
  if (clean.length % 4 !== 0) return null;
  let pad = 0;
  if (clean.endsWith("==")) pad = 2;
  else if (clean.endsWith("=")) pad = 1;
  const body = clean.length - pad;
  const out = new Uint8Array((clean.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const v = [0, 0, 0, 0];
    const n = Math.min(4, body - i);
    for (let j = 0; j < n; j++) {
      const c = clean.charCodeAt(i + j);
      const d = c < 256 ? B64_DECODE[c] : -1;
      if (d < 0) return null;
      v[j] = d;
    }
    const w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    if (n === 4) {
      out[o++] = w >> 16;
      out[o++] = (w >> 8) & 255;
      out[o++] = w & 255;
    } else if (n === 3) {
      if (strict && (w & 0xff) !== 0) return null;
      out[o++] = w >> 16;
      out[o++] = (w >> 8) & 255;
    } else if (n === 2) {
      if (strict && (w & 0xffff) !== 0) return null;
      out[o++] = w >> 16;
    } else {
      return null; // "=" or "==" with too few symbols before it
    }
  }
  return out;
}
