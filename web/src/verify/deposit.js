// Log leaves as Go's package deposit encodes them: a signed deposit
// statement plus index, height and time. The encoding is strict (one
// encoding per value) and so is this reader.
import { ascii, concat, toHex, uint64, utf8 } from "./bytes.js";

/** Content digest algorithms by their byte in the encoding, in canonical order. */
export const ALGORITHMS = [null, { name: "sha256", size: 32 }, { name: "sm3", size: 32 }, { name: "sha512", size: 64 }];

const SIGNING_DOMAIN = ascii("jurichain/deposit/v1\n");
const ID_DOMAIN = ascii("jurichain/deposit-id/v1\n");

/** LeafError is a leaf Go's deposit.ParseLeaf refuses. */
export class LeafError extends Error {}

// Reader consumes bytes, remembering that the input ended early so that
// callers check once at the end, as Go's deposit reader does.
class Reader {
  constructor(b) {
    this.b = b;
    this.off = 0;
    this.short = false;
  }
  bytes(n) {
    if (this.short) return null;
    if (this.b.length - this.off < n) {
      this.short = true;
      return null;
    }
    const v = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  byte() {
    const v = this.bytes(1);
    return v ? v[0] : 0;
  }
  uint64() {
    const v = this.bytes(8);
    return v ? uint64(v, 0) : 0n;
  }
}

const SHORT = "input ends early";

/**
 * Parses a leaf's canonical encoding. Returns {digests: [{algorithm
 * (byte), name, value}], size (BigInt), metadataCommitment, depositor,
 * idempotencyKey, signature, index, height (BigInts), timeNanos
 * (BigInt, Unix nanoseconds), statement (the signed bytes)}; throws
 * LeafError with Go's message.
 */
export function parseLeaf(b) {
  try {
    return parse(b);
  } catch (e) {
    if (e instanceof LeafError) throw new LeafError(`parsing leaf: ${e.message}`);
    throw e;
  }
}

function parse(b) {
  const r = new Reader(b);
  const v = r.byte();
  if (v !== 1) {
    if (r.short) throw new LeafError(SHORT);
    throw new LeafError(`unsupported deposit version ${v}`);
  }
  const n = r.byte();
  if (!r.short && (n === 0 || n > 4)) throw new LeafError(`digest count ${n} out of range`);
  const digests = [];
  for (let i = 0; i < n && !r.short; i++) {
    const a = r.byte();
    if (!r.short && !ALGORITHMS[a]) throw new LeafError(`unknown digest algorithm ${a}`);
    const alg = ALGORITHMS[a];
    digests.push({ algorithm: a, name: alg?.name, value: r.bytes(alg?.size ?? 0) });
  }
  const size = r.uint64();
  const metadataCommitment = r.bytes(32);
  const depositor = r.bytes(r.byte());
  const idempotency = r.bytes(r.byte());
  const statementEnd = r.off;
  const signature = r.bytes(r.byte());
  if (r.short) throw new LeafError(SHORT);
  // Statement.Validate, in Go's order.
  let prev = 0;
  for (const d of digests) {
    if (d.algorithm <= prev) throw new LeafError("digests: algorithms must be unique and in canonical order");
    prev = d.algorithm;
  }
  if (!digests.some((d) => d.name === "sha256" || d.name === "sm3")) {
    throw new LeafError("digests: need a sha256 or sm3 content digest");
  }
  if (depositor.length === 0 || depositor.length > 128) {
    throw new LeafError(`depositor_key: need 1 to 128 bytes, got ${depositor.length}`);
  }
  if (idempotency.length === 0 || idempotency.length > 64) {
    throw new LeafError(`idempotency_key: need 1 to 64 characters, got ${idempotency.length}`);
  }
  for (let i = 0; i < idempotency.length; i++) {
    if (idempotency[i] < 0x21 || idempotency[i] > 0x7e) throw new LeafError(`idempotency_key: character ${i} is not printable ASCII`);
  }
  if (signature.length === 0 || signature.length > 128) throw new LeafError(`signature length ${signature.length} out of range`);
  const index = r.uint64();
  const height = r.uint64();
  const timeNanos = BigInt.asIntN(64, r.uint64());
  if (r.short) throw new LeafError(SHORT);
  if (r.off !== b.length) throw new LeafError(`${b.length - r.off} trailing bytes`);
  return {
    digests,
    size,
    metadataCommitment,
    depositor,
    idempotencyKey: String.fromCharCode(...idempotency),
    signature,
    index,
    height,
    timeNanos,
    statement: b.subarray(0, statementEnd),
  };
}

/** The exact bytes a depositor signs for the leaf's statement on the log origin. */
export function signingMessage(leaf, origin) {
  return concat(SIGNING_DOMAIN, utf8(origin), new Uint8Array([0x0a]), leaf.statement);
}

/** The deposit's identifier (Go's Statement.ID), hex, under the suite hash. */
export function depositID(leaf, hash) {
  return toHex(hash(ID_DOMAIN, new Uint8Array([leaf.depositor.length]), leaf.depositor, ascii(leaf.idempotencyKey)));
}

/** The leaf's digest named name, or null. */
export function digestOf(leaf, name) {
  return leaf.digests.find((d) => d.name === name)?.value ?? null;
}

/**
 * Unix nanoseconds as Go's time.Time.UTC().Format(time.RFC3339Nano)
 * prints them: fraction without trailing zeros, none when whole.
 */
export function formatTime(nanos) {
  let secs = nanos / 1000000000n;
  let frac = nanos % 1000000000n;
  if (frac < 0n) {
    frac += 1000000000n;
    secs -= 1n;
  }
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  const f = frac === 0n ? "" : "." + frac.toString().padStart(9, "0").replace(/0+$/, "");
  return `${base}${f}Z`;
}
