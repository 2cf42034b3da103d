// Metadata openings: the depositor's private description of a deposit
// and the salt of its commitment, as the CLI writes them to
// NAME.meta.json. Reading follows Go's encoding/json into
// deposit.Opening, checking follows Opening.Wellformed, and the
// commitment follows Opening.Commitment.
import { ascii, concat, fromBase64, utf8, utf8Length, utf8Loose } from "./bytes.js";
import { formatFloat, isRFC3339, parseMediaType, parseURL } from "./gostd.js";

/** The length of a metadata salt. */
export const SALT_SIZE = 32;

const COMMITMENT_DOMAIN = ascii("jurichain/metadata/v1\n");

/** OpeningError is an opening Go would not read or would refuse as not well formed. */
export class OpeningError extends Error {}

const OPENING_FIELDS = { title: "string", media_type: "string", case_ref: "string", capture: "capture", salt: "bytes", suite: "string" };
const CAPTURE_FIELDS = { time: "string", latitude: "float", longitude: "float", device: "string", source_url: "string", address: "string" };

// fold is encoding/json's foldName as far as ASCII field names can tell:
// ASCII letters match either case, and of all other characters only the
// Kelvin sign (K) and the long s (S) fold to ASCII letters.
function fold(k) {
  return k.replace(/[a-z\u212a\u017f]/g, (c) => (c === "\u212a" ? "K" : c === "\u017f" ? "S" : c.toUpperCase()));
}

function fieldFor(fields, key) {
  if (Object.hasOwn(fields, key)) return key;
  const f = fold(key);
  return Object.keys(fields).find((name) => fold(name) === f) ?? null;
}

function decodeObject(obj, fields, path, into) {
  for (const key of Object.keys(obj)) {
    const name = fieldFor(fields, key);
    if (!name) continue; // Go ignores unknown fields
    const v = obj[key];
    const where = path + name;
    const kind = fields[name];
    if (v === null) {
      // null leaves a string as it was and clears a pointer or slice.
      if (kind !== "string") into[name] = null;
      continue;
    }
    switch (kind) {
      case "string":
        if (typeof v !== "string") throw new OpeningError(`${where}: want a string`);
        // Go reads a lone surrogate as U+FFFD, and so must everything
        // after this: lengths, the commitment, what is shown.
        into[name] = utf8Loose(utf8(v));
        break;
      case "float":
        if (typeof v !== "number" || !Number.isFinite(v)) throw new OpeningError(`${where}: want a number`);
        into[name] = v;
        break;
      case "bytes":
        into[name] = decodeBytes(v, where);
        break;
      case "capture":
        if (typeof v !== "object" || Array.isArray(v)) throw new OpeningError(`${where}: want an object`);
        into[name] = decodeObject(v, CAPTURE_FIELDS, "capture.", into[name] ?? emptyCapture());
        break;
    }
  }
  return into;
}

function decodeBytes(v, where) {
  if (typeof v === "string") {
    const b = fromBase64(v);
    if (!b) throw new OpeningError(`${where}: not base64`);
    return b;
  }
  if (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) return Uint8Array.from(v);
  throw new OpeningError(`${where}: want base64 text`);
}

const emptyCapture = () => ({ time: "", latitude: null, longitude: null, device: "", source_url: "", address: "" });

/**
 * Parses the text of an opening file (NAME.meta.json: its bytes, or the
 * decoded string) into the object openingFromJSON reads, refusing JSON
 * that repeats a key within one object, at any depth, also when the two
 * spellings differ only in case ("title" and "TITLE"): JSON.parse keeps
 * the last value at the first key's place, while Go's encoding/json
 * applies the keys in document order and matches field names ignoring
 * case, so the two would read such a file differently. No opening the
 * CLI or the portal writes repeats a key. Bytes are decoded as Go reads
 * them: a byte order mark stays (and is refused, as Go refuses it) and
 * invalid UTF-8 becomes U+FFFD.
 *
 * Throws OpeningError: code "json" for text that is not JSON, code
 * "duplicate-key" with key (the repeated key, as spelled the second
 * time), first (its first spelling) and where (the dotted path of the
 * object holding them, "" at the top).
 */
export function parseOpening(input) {
  if (input instanceof ArrayBuffer) input = new Uint8Array(input);
  const text = typeof input === "string" ? input : utf8Loose(input);
  let obj;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    const err = new OpeningError(`the opening is not JSON: ${e.message}`);
    err.code = "json";
    throw err;
  }
  const dup = repeatedKey(text);
  if (dup) {
    const at = dup.where === "" ? "" : ` in ${dup.where}`;
    const spelled = dup.first === dup.key ? "" : ` (as ${JSON.stringify(dup.first)} and ${JSON.stringify(dup.key)})`;
    const err = new OpeningError(
      `the key ${JSON.stringify(dup.first)} appears twice${at}${spelled}: an opening names each field once; give the NAME.meta.json file the deposit wrote`,
    );
    Object.assign(err, { code: "duplicate-key", key: dup.key, first: dup.first, where: dup.where });
    throw err;
  }
  return obj;
}

// foldKey folds a key as far as any JSON reader could match it to
// another: case, in Unicode's simple mappings (encoding/json folds ASCII
// letters and, past them, upper(lower(r))). Folding more than Go refuses
// more, never less.
const foldKey = (k) => k.toLowerCase().toUpperCase();

// repeatedKey finds the first key that an object of valid JSON text
// repeats, folded by foldKey, or returns null. It walks the text with a
// stack of its own, so that deep nesting cannot exhaust the call stack.
function repeatedKey(text) {
  const stack = [];
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      j++;
      if (top?.keys && top.wantKey) {
        const key = JSON.parse(text.slice(i, j));
        const f = foldKey(key);
        if (top.keys.has(f)) return { key, first: top.keys.get(f), where: top.where };
        top.keys.set(f, key);
        top.wantKey = false;
        top.current = key;
      }
      i = j;
      continue;
    }
    if (c === "{" || c === "[") {
      const where = !top ? "" : top.keys ? (top.where === "" ? top.current : `${top.where}.${top.current}`) : `${top.where}[]`;
      stack.push(c === "{" ? { keys: new Map(), wantKey: true, where, current: "" } : { keys: null, where });
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === "," && top?.keys) {
      top.wantKey = true;
    }
    i++;
  }
  return null;
}

/**
 * Reads an opening from its parsed JSON (the object JSON.parse returns
 * for NAME.meta.json) as Go's encoding/json reads it into
 * deposit.Opening. Throws OpeningError where Go's json.Unmarshal fails.
 */
export function openingFromJSON(obj) {
  const o = { title: "", media_type: "", case_ref: "", capture: null, salt: null, suite: "" };
  if (obj === null) return o; // Go reads JSON null into a struct as nothing at all
  if (typeof obj !== "object" || Array.isArray(obj)) throw new OpeningError("an opening is a JSON object");
  return decodeObject(obj, OPENING_FIELDS, "", o);
}

// form checks a text field's length in bytes.
function form(field, v, min, max) {
  const n = utf8Length(v);
  if (n < min) return `${field}: required`;
  if (n > max) return `${field}: longer than ${max} bytes`;
  return null;
}

function validType(mt) {
  const i = mt.indexOf("/");
  if (i < 0) return false;
  const sub = mt.slice(i + 1);
  return i > 0 && sub !== "" && !sub.includes("/");
}

/**
 * Reports why an opening is not well formed (Go's Opening.Wellformed),
 * or null. Text rules newer than some openings are not applied.
 */
export function wellformed(o) {
  const salt = o.salt ?? new Uint8Array(0);
  if (salt.length !== SALT_SIZE) return `salt: need ${SALT_SIZE} bytes, got ${salt.length}`;
  const e =
    form("title", o.title, 1, 1024) ??
    form("media_type", o.media_type, 1, 255) ??
    (parseMediaType(o.media_type) === null || !validType(parseMediaType(o.media_type))
      ? `media_type: ${JSON.stringify(o.media_type)} is not a media type such as image/jpeg`
      : null) ??
    form("case_ref", o.case_ref, 0, 256);
  if (e) return e;
  const c = o.capture;
  if (!c) return null;
  if (c.time !== "" && !isRFC3339(c.time)) {
    return `capture.time: ${JSON.stringify(c.time)} is not an RFC 3339 time such as 2026-05-01T09:30:00+08:00`;
  }
  if (c.latitude !== null && !(c.latitude >= -90 && c.latitude <= 90)) return `capture.latitude: ${formatFloat(c.latitude)} is outside -90..90`;
  if (c.longitude !== null && !(c.longitude >= -180 && c.longitude <= 180)) {
    return `capture.longitude: ${formatFloat(c.longitude)} is outside -180..180`;
  }
  if ((c.latitude === null) !== (c.longitude === null)) return "capture: latitude and longitude go together";
  const e2 = form("capture.device", c.device, 0, 256) ?? form("capture.source_url", c.source_url, 0, 2048) ?? form("capture.address", c.address, 0, 200);
  if (e2) return e2;
  if (c.source_url !== "") {
    const u = parseURL(c.source_url);
    if (!u || u.scheme === "" || u.host === "") return `capture.source_url: ${JSON.stringify(c.source_url)} is not an absolute URL`;
  }
  return null;
}

const coordinate = (v) => (v === null ? "" : formatFloat(v));

/** The opening's canonical encoding (Go's Opening.AppendBinary). */
export function openingBytes(o) {
  const c = o.capture ?? emptyCapture();
  const fields = [o.title, o.media_type, o.case_ref, c.time, coordinate(c.latitude), coordinate(c.longitude), c.device, c.source_url];
  // The address came after the first eight fields and is written only
  // when there is one, so older openings commit as they did.
  if (c.address !== "") fields.push(c.address);
  const parts = [o.salt ?? new Uint8Array(0)];
  for (const f of fields) {
    const b = utf8(f);
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, b.length);
    parts.push(n, b);
  }
  return concat(...parts);
}

/** The salted commitment under the suite hash (Go's Opening.Commitment). */
export function commitment(o, hash) {
  return hash(COMMITMENT_DOMAIN, openingBytes(o));
}

/** The metadata as the opening file spells it, without salt and suite, empty fields left out. */
export function metadataOf(o) {
  const m = { title: o.title, media_type: o.media_type };
  if (o.case_ref !== "") m.case_ref = o.case_ref;
  const c = o.capture;
  if (c) {
    const mc = {};
    if (c.time !== "") mc.time = c.time;
    if (c.latitude !== null) mc.latitude = c.latitude;
    if (c.longitude !== null) mc.longitude = c.longitude;
    if (c.device !== "") mc.device = c.device;
    if (c.source_url !== "") mc.source_url = c.source_url;
    if (c.address !== "") mc.address = c.address;
    m.capture = mc;
  }
  return m;
}
