// Receipts: C2SP tlog-proof files whose extra data is the leaf. Go's
// receipt.Parse accepts only the canonical encoding (what Format writes),
// so a receipt has one spelling; this reader accepts exactly the same set.
import { base64, binaryString, count, fromBase64 } from "./bytes.js";

/** The largest receipt Go reads. */
export const MAX_RECEIPT_SIZE = 256 << 10;

const HEADER = "c2sp.org/tlog-proof@v1";

/** ReceiptError is a receipt file Go's receipt.Parse refuses. */
export class ReceiptError extends Error {
  constructor(message) {
    super(message);
    this.name = "ReceiptError";
  }
}

const refuse = (why) =>
  new ReceiptError(`parsing receipt: ${why}: this is not a receipt as a Jurichain node writes it (a .tlog-proof file); use the file the deposit produced`);

/**
 * Parses a receipt (the bytes of a .tlog-proof file, a Uint8Array or an
 * ArrayBuffer). Returns {index (BigInt), proof: [Uint8Array],
 * checkpoint: Uint8Array, leaf: Uint8Array}; throws ReceiptError.
 */
export function parseReceiptBytes(b) {
  if (b instanceof ArrayBuffer) b = new Uint8Array(b);
  if (!(b instanceof Uint8Array)) throw new ReceiptError("a receipt is read as bytes: pass the .tlog-proof file's contents as a Uint8Array or ArrayBuffer");
  if (b.length > MAX_RECEIPT_SIZE) {
    throw new ReceiptError(`receipt is ${b.length} bytes, at most ${MAX_RECEIPT_SIZE}: this is not a receipt file`);
  }
  // Go reads the file with a bufio.Scanner, which fails on lines of 64 KiB
  // or more and drops a CR before each LF; neither survives the
  // canonical-form check, so both are refused here outright.
  const s = binaryString(b);
  const lines = s.split("\n");
  for (const line of lines) {
    if (line.length > 65535) throw refuse("a line is too long");
  }
  let i = 0;
  if (lines[i++] !== HEADER) throw refuse("tlog proof missing expected header");
  if (i >= lines.length || !lines[i].startsWith("extra ")) throw refuse("no extra line carrying the leaf");
  const leaf = fromBase64(lines[i].slice(6));
  if (!leaf) throw refuse("tlog proof extra data not base64 encoded");
  i++;
  const m = i < lines.length ? /^index (0|[1-9][0-9]*)$/.exec(lines[i]) : null;
  if (!m || BigInt(m[1]) >= 1n << 64n) throw refuse("tlog proof missing required index");
  const index = BigInt(m[1]);
  i++;
  const proof = [];
  for (; i < lines.length && lines[i] !== ""; i++) {
    const h = fromBase64(lines[i]);
    if (!h || h.length !== 32) throw refuse("tlog proof hash is not 32 bytes of base64");
    proof.push(h);
  }
  if (i >= lines.length - 1) throw refuse("not in canonical tlog-proof form");
  i++;
  const checkpoint = b.subarray(b.length - lines.slice(i).join("\n").length);
  for (let j = i; j < lines.length - 1; j++) {
    if (lines[j].endsWith("\r")) throw refuse("not in canonical tlog-proof form");
  }
  if (lines[lines.length - 1] !== "") throw refuse("not in canonical tlog-proof form");
  // What Go's Format would write for what was read must be the input.
  let canonical = `${HEADER}\nextra ${base64(leaf)}\nindex ${index}\n`;
  for (const h of proof) canonical += base64(h) + "\n";
  canonical += "\n" + binaryString(checkpoint);
  if (canonical !== s) throw refuse("not in canonical tlog-proof form");
  return { index, proof, checkpoint, leaf };
}

/**
 * Parses a receipt for display: as parseReceiptBytes, with the index a
 * Number (a decimal string beyond 2^53).
 */
export function parseReceipt(b) {
  const r = parseReceiptBytes(b);
  return { index: count(r.index), proof: r.proof, checkpoint: r.checkpoint, leaf: r.leaf };
}
