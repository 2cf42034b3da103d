// hashBlob (src/lib/hash.js) on a few MiB, against Go's digests of the
// same bytes (testdata/verify/hash.json, from web/verify_test.go).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import test from "node:test";

import { CHUNK_SIZE, hashBlob } from "../lib/hash.js";
import { toHex } from "./bytes.js";

const vector = JSON.parse(readFileSync(new URL("../../testdata/verify/hash.json", import.meta.url), "utf8"));

// xorshift32 (13, 17, 5), the low byte of each step: the stream the Go
// test hashed.
function stream(seed, n) {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

test("hashBlob gives Go's digests, slice by slice, with progress", async () => {
  assert.ok(vector.size > CHUNK_SIZE, "the vector spans several slices");
  const blob = new Blob([stream(vector.seed, vector.size)]);
  const progress = [];
  const got = await hashBlob(blob, ["sha256", "sm3", "sha512"], (done, total) => progress.push([done, total]));
  for (const alg of ["sha256", "sm3", "sha512"]) assert.equal(toHex(got[alg]), vector.digests[alg], alg);
  assert.deepEqual(progress[0], [0, vector.size]);
  assert.deepEqual(progress.at(-1), [vector.size, vector.size]);
  assert.equal(progress.length, 1 + Math.ceil(vector.size / CHUNK_SIZE));
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] > progress[i - 1][0], "progress only grows");
});

test("hashBlob reads slices, never the whole blob", async () => {
  const data = stream(vector.seed, vector.size);
  const sizes = [];
  // A Blob whose slices record their size, standing in for a File too
  // large for memory.
  const blob = {
    size: data.length,
    slice(a, b) {
      sizes.push(b - a);
      return new Blob([data.subarray(a, b)]);
    },
  };
  const got = await hashBlob(blob, ["sm3"]);
  assert.equal(toHex(got.sm3), vector.digests.sm3);
  assert.ok(Math.max(...sizes) <= CHUNK_SIZE, "no slice larger than CHUNK_SIZE");
});

test("hashBlob of an empty file, and unknown algorithms", async () => {
  const got = await hashBlob(new Blob([]), ["sha256"]);
  assert.equal(toHex(got.sha256), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  await assert.rejects(hashBlob(new Blob([]), ["md5"]), /unknown digest algorithm "md5"/);
});

test("hashBlob stops when aborted", async () => {
  const ac = new AbortController();
  const blob = new Blob([stream(1, vector.size)]);
  const p = hashBlob(blob, ["sha256"], (done) => {
    if (done > 0) ac.abort(new Error("stopped by the test"));
  }, { signal: ac.signal });
  await assert.rejects(p, /stopped by the test/);
});
