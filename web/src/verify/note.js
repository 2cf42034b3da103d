// Signed notes (c2sp.org/signed-note) and the verifier keys of both
// suites: a port of golang.org/x/mod/sumdb/note's Open and of the key
// handling in Go's suite/note.go, so that a checkpoint is accepted or
// refused here exactly when the Go verifier accepts or refuses it.
import { ascii, concat, fromBase64, lastIndexOf, startsWith, utf8, utf8Strict } from "./bytes.js";
import { isSpace } from "./gostd.js";
import { sha256 } from "./sha256.js";
import { suites } from "./suites.js";

/** Whether a JS string has no lone surrogates, so that it is some valid UTF-8. */
export function wellFormed(s) {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/** Go's note.isValidName: non-empty, valid UTF-8, no spaces, no plus signs. */
export function isValidName(name) {
  if (name === "" || !wellFormed(name) || name.includes("+")) return false;
  for (const ch of name) if (isSpace(ch.codePointAt(0))) return false;
  return true;
}

/**
 * The key ID c2sp.org/signed-note recommends: the first four bytes of
 * SHA-256(name || 0x0A || type || public key), as an unsigned number.
 */
export function keyHash(name, type, pub) {
  const h = sha256(concat(utf8(name), new Uint8Array([0x0a]), type, pub));
  return ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
}

const hex8 = (h) => h.toString(16).padStart(8, "0");
const goByteHex = (b) => "0x" + b.toString(16);

// cut is Go's strings.Cut.
function cut(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, "", false] : [s.slice(0, i), s.slice(i + sep.length), true];
}

/** The suite a verifier key belongs to, by its signature type (Go's suite.SuiteOfKey); throws. */
export function suiteOfKey(vkey) {
  const [, rest] = cut(vkey, "+");
  const [, key64] = cut(rest, "+");
  const tk = fromBase64(key64, { strict: true });
  if (!tk || tk.length === 0) throw new Error("malformed verifier key");
  for (const s of suites) if (startsWith(tk, s.noteType) || startsWith(tk, s.cosignatureType)) return s;
  throw new Error(`unknown signature type ${goByteHex(tk[0])}`);
}

// splitKey reads name+hash+base64(type||key), accepting only the
// spelling Go's formatKey writes; it does not check the hash.
function splitKey(k) {
  const [name, rest] = cut(k, "+");
  const [hash16, key64] = cut(rest, "+");
  const tk = fromBase64(key64, { strict: true });
  if (!isValidName(name) || !/^[0-9a-f]{8}$/.test(hash16) || !tk || tk.length === 0) return null;
  return { name, hash: parseInt(hash16, 16), tk };
}

/**
 * Splits a verifier key of suite s into its name, public key and whether
 * it was written for cosignatures; throws with Go's message.
 */
export function parseVerifierKey(s, vkey) {
  const k = splitKey(vkey);
  if (!k) throw new Error("malformed verifier key");
  let type;
  let cosignature = false;
  if (startsWith(k.tk, s.noteType)) type = s.noteType;
  else if (startsWith(k.tk, s.cosignatureType)) [type, cosignature] = [s.cosignatureType, true];
  else {
    for (const o of suites) {
      if (o !== s && (startsWith(k.tk, o.noteType) || startsWith(k.tk, o.cosignatureType))) {
        throw new Error(`key ${k.name} is a key of the ${o.title} suite, not of the ${s.title} suite`);
      }
    }
    throw new Error(`key ${k.name}: unknown signature type ${goByteHex(k.tk[0])}`);
  }
  const pub = k.tk.subarray(type.length);
  if (k.hash !== keyHash(k.name, type, pub)) throw new Error(`key ${k.name}: the key hash does not match the key`);
  const bad = s.checkPublicKey(pub);
  if (bad) throw new Error(`key ${k.name}: ${bad}`);
  return { name: k.name, pub, cosignature };
}

const SIG_PREFIX = utf8("— ");
const COSIGNATURE_HEADER = ascii("cosignature/v1\ntime ");

/**
 * The verifier of plain note signatures for a parsed key: name, key
 * hash and what it verifies under.
 */
export function noteVerifier(s, key) {
  return { name: key.name, hash: keyHash(key.name, s.noteType, key.pub), pub: key.pub, cosignature: false };
}

/** The verifier of timestamped cosignatures (c2sp.org/tlog-cosignature) for a parsed key. */
export function cosignatureVerifier(s, key) {
  return { name: key.name, hash: keyHash(key.name, s.cosignatureType, key.pub), pub: key.pub, cosignature: true };
}

// signedMessage is what a verifier's signature covers: the note text,
// or for a cosignature the cosignature/v1 header with its timestamp and
// then the text, which must look like a checkpoint (three lines or more).
function signedMessage(v, text, sig) {
  if (!v.cosignature) return [text, sig];
  if (sig.length < 8) return null;
  let newlines = 0;
  for (const b of text) if (b === 0x0a) newlines++;
  if (newlines < 3) return null;
  const t = new DataView(sig.buffer, sig.byteOffset, 8);
  const time = ((BigInt(t.getUint32(0)) << 32n) | BigInt(t.getUint32(4))).toString();
  return [concat(COSIGNATURE_HEADER, ascii(time + "\n"), text), sig.subarray(8)];
}

/** NoteError is a signed note Go's note.Open refuses; message is Go's. */
export class NoteError extends Error {}

const malformed = () => new NoteError("malformed note");

/**
 * Opens a signed note as Go's note.Open does: verifiers are the known
 * keys ({name, hash, pub, cosignature}), verify(pub, msg, sig) checks one
 * signature. Returns {text (bytes), sigs: [{name, hash}]}, the verified
 * signatures in order; throws NoteError.
 */
export async function openNote(msg, verifiers, verify) {
  const str = utf8Strict(msg);
  if (str === null) throw malformed();
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) throw malformed();
  }
  const split = lastIndexOf(msg, ascii("\n\n"));
  if (split < 0) throw malformed();
  const text = msg.subarray(0, split + 1);
  let sigs = msg.subarray(split + 2);
  if (sigs.length === 0 || sigs[sigs.length - 1] !== 0x0a) throw malformed();

  const byKey = new Map();
  for (const v of verifiers) {
    const k = `${v.name}\n${v.hash}`;
    byKey.set(k, [...(byKey.get(k) ?? []), v]);
  }
  // Lines are read in order as Go reads them; the signatures are checked
  // together, and the first failure in line order is the one reported.
  const steps = [];
  const seen = new Set();
  let numSig = 0;
  while (sigs.length > 0) {
    const i = sigs.indexOf(0x0a);
    let line = sigs.subarray(0, i);
    sigs = sigs.subarray(i + 1);
    if (!startsWith(line, SIG_PREFIX)) {
      steps.push({ error: malformed() });
      break;
    }
    line = line.subarray(SIG_PREFIX.length);
    const [name, b64] = cut(utf8Strict(line), " ");
    const raw = fromBase64(b64);
    if (!raw || !isValidName(name) || b64 === "" || raw.length < 5) {
      steps.push({ error: malformed() });
      break;
    }
    const hash = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
    if (++numSig > 100) {
      steps.push({ error: malformed() });
      break;
    }
    const candidates = byKey.get(`${name}\n${hash}`);
    if (!candidates) continue; // an unknown key's signature is not an error
    if (candidates.length > 1) {
      steps.push({ error: new NoteError(`ambiguous key ${name}+${hex8(hash)}`) });
      break;
    }
    if (seen.has(`${name}\n${hash}`)) continue;
    seen.add(`${name}\n${hash}`);
    const v = candidates[0];
    const signed = signedMessage(v, text, raw.subarray(4));
    steps.push({
      name,
      hash,
      ok: signed ? verify(v.pub, signed[0], signed[1]) : false,
    });
  }
  const oks = await Promise.all(steps.map((s) => s.ok));
  const verified = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s.error) throw s.error;
    if (!oks[i]) throw new NoteError(`invalid signature for key ${s.name}+${hex8(s.hash)}`);
    verified.push({ name: s.name, hash: s.hash });
  }
  if (verified.length === 0) throw new NoteError("note has no verifiable signatures");
  return { text, sigs: verified };
}
