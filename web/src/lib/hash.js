// Digests of a file of any size (a multi-gigabyte video) in the browser,
// read in slices of a few MiB so that it never sits in memory whole. The
// next slice is read while the current one is hashed.
import { createSHA256, createSHA384, createSHA512, createSM3 } from "hash-wasm";

/** How much of the file is read at a time. */
export const CHUNK_SIZE = 4 << 20;

const makers = { sha256: createSHA256, sm3: createSM3, sha384: createSHA384, sha512: createSHA512 };

/** The algorithms hashBlob knows. */
export const hashAlgorithms = Object.freeze(Object.keys(makers));

/**
 * Hashes blob (a File or Blob) with each of algs ("sha256", "sm3",
 * "sha384", "sha512") in one pass and returns {alg: Uint8Array}.
 * onProgress(bytesDone, total) is called after each slice, and once with
 * (0, total) before the first. Pass an AbortSignal as signal to stop
 * early; the promise then rejects with the signal's reason.
 */
export async function hashBlob(blob, algs, onProgress, { signal } = {}) {
  for (const a of algs) {
    if (!Object.hasOwn(makers, a)) throw new Error(`unknown digest algorithm "${a}": use one of ${hashAlgorithms.join(", ")}`);
  }
  const hashers = await Promise.all(algs.map((a) => makers[a]()));
  for (const h of hashers) h.init();
  const total = blob.size;
  onProgress?.(0, total);
  const read = (off) => {
    if (off >= total) return null;
    const p = blob.slice(off, Math.min(off + CHUNK_SIZE, total)).arrayBuffer();
    p.catch(() => {}); // reported when awaited; not when an abort leaves it behind
    return p;
  };
  let next = read(0);
  for (let off = 0; off < total; off += CHUNK_SIZE) {
    signal?.throwIfAborted();
    let chunk;
    try {
      chunk = new Uint8Array(await next);
    } catch (e) {
      throw new Error(`reading the file failed at byte ${off} (${e?.message ?? e}): choose the file again; it may have been moved or changed while it was read`);
    }
    next = read(off + CHUNK_SIZE);
    for (const h of hashers) h.update(chunk);
    onProgress?.(off + chunk.length, total);
  }
  const out = {};
  algs.forEach((a, i) => {
    out[a] = hashers[i].digest("binary");
  });
  return out;
}
