// Suite hashes through hash-wasm. Creating a hasher compiles its WASM
// module, so each algorithm's hasher is made once and reused: after the
// first await, hashing is synchronous and allocation-light, which keeps
// Merkle path checks cheap.
import { createSHA256, createSM3 } from "hash-wasm";

const makers = { sha256: createSHA256, sm3: createSM3 };
const cache = new Map();

/**
 * Returns a synchronous function hashing the concatenation of its
 * arguments (Uint8Arrays) with alg ("sha256" or "sm3").
 */
export async function hashFunction(alg) {
  let p = cache.get(alg);
  if (!p) {
    const make = makers[alg];
    if (!make) throw new Error(`unknown hash ${alg} (known: sha256, sm3)`);
    p = make().then((h) => (...parts) => {
      h.init();
      for (const part of parts) h.update(part);
      return h.digest("binary");
    });
    // A failed compilation (a browser without WebAssembly) is retried
    // on the next call rather than remembered.
    p.catch(() => cache.delete(alg));
    cache.set(alg, p);
  }
  return p;
}
