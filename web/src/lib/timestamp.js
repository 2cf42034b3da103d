// Reads an RFC 3161 time-stamp token (a DER ContentInfo holding a CMS
// SignedData over a TSTInfo) far enough to show its time and what it
// stamps. The token's signature and its authority's certificates are not
// checked here: the page says so, and leaves that to the node's check of a
// certificate or to jurichain verify.

/** A token that is not DER as RFC 3161 lays it out. */
export class TimeStampError extends Error {}

const oids = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "1.2.156.10197.1.401": "sm3",
};
const signedData = "1.2.840.113549.1.7.2";
const tstInfo = "1.2.840.113549.1.9.16.1.4";

// tlv reads the element at pos of b: its tag, and where its content
// starts and ends. Only what DER allows: one-byte tags, definite lengths.
function tlv(b, pos, end) {
  if (pos + 2 > end) throw new TimeStampError("the token ends inside an element");
  const tag = b[pos];
  if ((tag & 0x1f) === 0x1f) throw new TimeStampError("the token uses a multi-byte tag");
  let len = b[pos + 1];
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new TimeStampError("the token uses an indefinite or huge length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i];
    start += n;
  }
  if (start + len > end) throw new TimeStampError("an element of the token runs past its end");
  return { tag, start, end: start + len };
}

// children lists the elements inside a constructed element.
function children(b, e) {
  const out = [];
  for (let pos = e.start; pos < e.end; ) {
    const c = tlv(b, pos, e.end);
    out.push(c);
    pos = c.end;
  }
  return out;
}

function expectTag(e, tag, what) {
  if (!e || e.tag !== tag) throw new TimeStampError(`the token's ${what} is missing or malformed`);
  return e;
}

function oid(b, e) {
  const bytes = b.subarray(e.start, e.end);
  const parts = [];
  let v = 0;
  for (const x of bytes) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

// generalizedTime turns YYYYMMDDhhmmss[.f]Z into an ISO 8601 string.
function generalizedTime(s) {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(s);
  if (!m) throw new TimeStampError(`the token's time "${s}" is not a GeneralizedTime in UTC`);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ""}Z`;
}

/**
 * The time and imprint of a time-stamp token (Uint8Array, DER):
 * {genTime (ISO 8601 UTC, with the token's fraction), hashAlgorithm
 * ("sha256", "sm3", … or the OID), imprint (Uint8Array)}.
 */
export function readTimeStamp(token) {
  const b = token;
  const ci = expectTag(tlv(b, 0, b.length), 0x30, "ContentInfo");
  const [type, wrapped] = children(b, ci);
  if (oid(b, expectTag(type, 0x06, "content type")) !== signedData) throw new TimeStampError("the token is not a CMS SignedData");
  const sd = expectTag(children(b, expectTag(wrapped, 0xa0, "content"))[0], 0x30, "SignedData");
  const encap = expectTag(children(b, sd)[2], 0x30, "encapsulated content");
  const [eType, eWrapped] = children(b, encap);
  if (oid(b, expectTag(eType, 0x06, "content type")) !== tstInfo) throw new TimeStampError("the token does not sign a TSTInfo");
  const octets = expectTag(children(b, expectTag(eWrapped, 0xa0, "TSTInfo"))[0], 0x04, "TSTInfo");
  const info = expectTag(tlv(b, octets.start, octets.end), 0x30, "TSTInfo");
  const fields = children(b, info);
  const imprint = children(b, expectTag(fields[2], 0x30, "message imprint"));
  const alg = children(b, expectTag(imprint[0], 0x30, "hash algorithm"));
  const algOID = oid(b, expectTag(alg[0], 0x06, "hash algorithm"));
  const hashed = expectTag(imprint[1], 0x04, "hashed message");
  const time = expectTag(fields[4], 0x18, "time");
  return {
    genTime: generalizedTime(String.fromCharCode(...b.subarray(time.start, time.end))),
    hashAlgorithm: oids[algOID] ?? algOID,
    imprint: b.slice(hashed.start, hashed.end),
  };
}

/**
 * The bytes a checkpoint's time-stamp stamps: the checkpoint's body (its
 * text before the signatures), ending with its newline.
 */
export function checkpointBody(checkpoint) {
  for (let i = 0; i + 1 < checkpoint.length; i++) {
    if (checkpoint[i] === 10 && checkpoint[i + 1] === 10) return checkpoint.slice(0, i + 1);
  }
  return checkpoint;
}
