// RFC 6962 inclusion proofs (github.com/transparency-dev/merkle/proof),
// over either suite's hash: leaves hash as H(0x00 || entry), interior
// nodes as H(0x01 || left || right).
import { equal, toHex } from "./bytes.js";

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** The leaf hash of entry under hash. */
export function leafHash(hash, entry) {
  return hash(LEAF, entry);
}

const bitLen = (v) => (v === 0n ? 0 : v.toString(2).length);

function popCount(v) {
  let n = 0;
  for (; v > 0n; v >>= 1n) if (v & 1n) n++;
  return n;
}

/**
 * Checks that leaf (a leaf hash) is at index in the tree of size with
 * root, given the proof; returns null or why not, as Go words it.
 * index and size are BigInts.
 */
export function verifyInclusion(hash, index, size, leaf, proof, root) {
  if (index >= size) return `index is beyond size: ${index} >= ${size}`;
  const inner = bitLen(index ^ (size - 1n));
  const border = popCount(index >> BigInt(inner));
  if (proof.length !== inner + border) return `wrong proof size ${proof.length}, want ${inner + border}`;
  let h = leaf;
  for (let i = 0; i < inner; i++) {
    h = (index >> BigInt(i)) & 1n ? hash(NODE, proof[i], h) : hash(NODE, h, proof[i]);
  }
  for (let i = inner; i < proof.length; i++) h = hash(NODE, proof[i], h);
  if (!equal(h, root)) return `calculated root ${toHex(h)} does not match expected root ${toHex(root)}`;
  return null;
}
