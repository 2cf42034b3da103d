// SM2 as the GM suite uses it (GB/T 32918.2, GM/T 0009): keys are the
// uncompressed point 04||x||y, signatures DER SEQUENCE{r, s} over
// SM3(Z_A || message) with the default user ID 1234567812345678.
//
// The curve arithmetic is @noble/curves' generic short Weierstrass code
// given the SM2 parameters: sm-crypto's jsbn arithmetic takes about 25 ms
// per verification, and a receipt needs three or more. The checks around
// it (key form, strict DER, r and s ranges) follow Go's gmsm exactly.
import { weierstrass } from "@noble/curves/abstract/weierstrass.js";
import { bigFromBytes, bigToBytes, concat } from "./bytes.js";

const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const A = P - 3n;
const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
const GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

/** The longest DER signature: two 33-byte INTEGERs in a SEQUENCE. */
const MAX_SIGNATURE = 72;

/** ENTL || ID || a || b || Gx || Gy: the start of every Z_A for the default user ID. */
const Z_PREFIX = concat(
  new Uint8Array([0x00, 0x80]),
  new TextEncoder().encode("1234567812345678"),
  bigToBytes(A, 32),
  bigToBytes(B, 32),
  bigToBytes(GX, 32),
  bigToBytes(GY, 32),
);

// The curve is built on first use: its construction costs a few
// milliseconds that international-suite pages need not pay.
let curve;
function point() {
  curve ??= weierstrass({ p: P, n: N, h: 1n, a: A, b: B, Gx: GX, Gy: GY });
  return curve;
}

const mod = (a, m) => ((a % m) + m) % m;
const BAD_KEY = "unusable public key";

/**
 * Reports why pub cannot be anyone's SM2 key (Go's CheckPublicKey), or
 * null when it is a usable key.
 */
export function checkPublicKey(pub) {
  if (pub.length !== 65 || pub[0] !== 4) {
    return `${BAD_KEY}: an sm2 key is the 65-byte uncompressed point 04||x||y, got ${pub.length} bytes`;
  }
  const x = bigFromBytes(pub.subarray(1, 33));
  const y = bigFromBytes(pub.subarray(33));
  if (x >= P || y >= P || mod(y * y - (x * x * x + A * x + B), P) !== 0n) {
    return `${BAD_KEY}: not a point of the sm2 curve`;
  }
  // -G is the key of d = n-1, which GB/T 32918.1 excludes: under it the
  // verification equation no longer depends on s.
  if (x === GX && y !== GY) return `${BAD_KEY}: the negated base point, the key of no allowed private key`;
  return null;
}

// readTLV reads one DER element with the given tag from b at off, as
// golang.org/x/crypto/cryptobyte's ReadASN1 does: low tag numbers only
// and minimal definite lengths. It returns [start, end) of the contents.
function readTLV(b, off, tag) {
  if (b.length - off < 2 || b[off] !== tag) return null;
  const len = b[off + 1];
  // A long-form length is at least 128, which no signature of at most
  // 72 bytes can hold; a long form of a shorter length is not DER.
  if (len & 0x80) return null;
  const start = off + 2;
  if (start + len > b.length) return null;
  return [start, start + len];
}

// readInteger reads a non-negative, minimally encoded DER INTEGER.
function readInteger(b, off) {
  const el = readTLV(b, off, 0x02);
  if (!el) return null;
  const v = b.subarray(el[0], el[1]);
  if (v.length === 0) return null;
  if (v.length > 1 && ((v[0] === 0 && (v[1] & 0x80) === 0) || (v[0] === 0xff && (v[1] & 0x80) === 0x80))) return null;
  if (v[0] & 0x80) return null;
  return [bigFromBytes(v), el[1]];
}

/** Parses a DER SM2 signature into [r, s], or null when Go's gmsm refuses its form. */
export function parseSignature(sig) {
  if (sig.length > MAX_SIGNATURE) return null;
  const seq = readTLV(sig, 0, 0x30);
  if (!seq || seq[1] !== sig.length) return null;
  const inner = sig.subarray(seq[0], seq[1]);
  const r = readInteger(inner, 0);
  if (!r) return null;
  const s = readInteger(inner, r[1]);
  if (!s || s[1] !== inner.length) return null;
  return [r[0], s[0]];
}

/**
 * Reports whether sig is a valid SM2 signature of msg under pub with the
 * default user ID. sm3 hashes the concatenation of its arguments.
 */
export function verify(pub, msg, sig, sm3) {
  if (checkPublicKey(pub) !== null) return false;
  const rs = parseSignature(sig);
  if (!rs) return false;
  const [r, s] = rs;
  if (r < 1n || r >= N || s < 1n || s >= N) return false;
  const t = (r + s) % N;
  if (t === 0n) return false;
  const za = sm3(Z_PREFIX, pub.subarray(1));
  const e = bigFromBytes(sm3(za, msg)) % N;
  const Pt = point();
  let x1;
  try {
    const q = Pt.fromAffine({ x: bigFromBytes(pub.subarray(1, 33)), y: bigFromBytes(pub.subarray(33)) });
    const sum = Pt.BASE.mulAddUnsafe(s, q, t);
    if (sum.is0()) return false;
    x1 = sum.toAffine().x;
  } catch {
    return false;
  }
  return (e + x1) % N === r;
}
