// api() and apiBlob() against a small Node server that answers as a node
// does. That the signatures verify in Go is web/keys_test.go's
// TestJSSignaturesVerifyInGo; here: what is sent, and how answers and
// failures reach the caller.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import { ApiError, api, apiBlob, dispositionFilename } from "./api.js";
import { LibError, contentDigest, utf8 } from "./httpsig.js";
import { newKey } from "./keys.js";

let server;
let seen; // the last request the server received

before(async () => {
  server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      seen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
      const answer = {
        "/ok": [200, { "Content-Type": "application/json" }, JSON.stringify({ height: 7 })],
        "/empty": [204, {}, ""],
        "/conflict": [409, { "Content-Type": "application/json" }, JSON.stringify({ code: "conflict", message: "the deposit exists; fetch it" })],
        "/html": [502, { "Content-Type": "text/html" }, "<h1>Bad Gateway</h1>"],
        "/nocode": [500, { "Content-Type": "application/json" }, "{}"],
        "/text": [200, { "Content-Type": "text/plain" }, "not json"],
        "/pdf": [200, { "Content-Type": "application/pdf", "Content-Disposition": "attachment; filename=\"cert.pdf\"; filename*=UTF-8''%E8%AF%81%E4%B9%A6.pdf" }, "%PDF-1.7"],
      }[req.url.split("?")[0]] ?? [404, { "Content-Type": "application/json" }, JSON.stringify({ code: "not_found", message: "no such path" })];
      res.writeHead(answer[0], answer[1]);
      res.end(answer[2]);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  globalThis.location = new URL(`http://127.0.0.1:${server.address().port}`);
});

after(() => {
  server.close();
  delete globalThis.location;
});

test("an unsigned GET returns the parsed JSON", async () => {
  assert.deepEqual(await api("/ok?x=1"), { height: 7 });
  assert.equal(seen.method, "GET");
  assert.equal(seen.url, "/ok?x=1");
  assert.equal(seen.headers.accept, "application/json");
  assert.equal(seen.headers["signature-input"], undefined);
  assert.equal(await api("/empty"), null);
});

for (const suite of ["intl", "gm"]) {
  test(`${suite}: a signed POST of JSON carries the signature headers`, async () => {
    const key = await newKey(suite);
    await api("/ok", { json: { title: "证据" }, key });
    assert.equal(seen.method, "POST");
    assert.equal(seen.headers["content-type"], "application/json");
    assert.equal(seen.body.toString(), '{"title":"证据"}');
    assert.equal(seen.headers["content-digest"], await contentDigest(utf8('{"title":"证据"}')));
    const input = seen.headers["signature-input"];
    assert.match(input, /^jurichain=\("@method" "@authority" "@path" "@query" "content-digest"\);created=\d+;keyid="([^"]+)";nonce="[\w-]{22}";alg="(\w+)"$/);
    assert.equal(/keyid="([^"]+)"/.exec(input)[1], key.id);
    assert.equal(/alg="(\w+)"/.exec(input)[1], suite === "intl" ? "ed25519" : "sm2");
    assert.match(seen.headers.signature, /^jurichain=:[A-Za-z0-9+/]+=*:$/);
  });
}

test("a Blob body is streamed, not covered by the signature; a method is sent uppercase", async () => {
  const key = await newKey("intl");
  await api("/ok", { method: "put", body: new Blob(["abc"]), key });
  assert.equal(seen.method, "PUT");
  assert.equal(seen.body.toString(), "abc");
  assert.equal(seen.headers["content-digest"], undefined);
  assert.match(seen.headers["signature-input"], /^jurichain=\("@method" "@authority" "@path" "@query"\);/);
});

test("the node's error reaches the caller as ApiError with its code and message", async () => {
  const err = await api("/conflict", { json: {} }).catch((e) => e);
  assert.ok(err instanceof ApiError && err instanceof LibError);
  assert.equal(err.status, 409);
  assert.equal(err.code, "conflict");
  assert.equal(err.message, "the deposit exists; fetch it");
  assert.equal(err.text("zh"), "the deposit exists; fetch it");
});

test("answers the node did not describe get a message that says what to do", async () => {
  for (const [path, status, code] of [
    ["/html", 502, "api.not_json"],
    ["/nocode", 500, "api.http"],
    ["/text", 200, "api.not_json"],
  ]) {
    const err = await api(path).catch((e) => e);
    assert.ok(err instanceof ApiError, path);
    assert.equal(err.status, status, path);
    assert.equal(err.code, code, path);
    assert.match(err.message, new RegExp(`HTTP ${status}.*Try again`), path);
    assert.match(err.text("zh"), new RegExp(`HTTP ${status}.*请稍后重试`), path);
  }
});

test("a node that cannot be reached is api.network", async () => {
  const closed = createServer();
  await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  const saved = globalThis.location;
  globalThis.location = new URL(`http://127.0.0.1:${port}`);
  try {
    const err = await api("/ok").catch((e) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 0);
    assert.equal(err.code, "api.network");
    assert.match(err.text("en"), /Check your network connection/);
  } finally {
    globalThis.location = saved;
  }
});

test("a cancelled request rejects with the AbortError, not an ApiError", async () => {
  const ctl = new AbortController();
  ctl.abort();
  await assert.rejects(api("/ok", { signal: ctl.signal }), (err) => err.name === "AbortError");
});

test("only paths of this origin are requested", async () => {
  for (const path of ["//evil.example/v1/status", "http://evil.example/v1/status", "v1/status"]) {
    await assert.rejects(api(path), (err) => err instanceof ApiError && err.code === "api.path", path);
  }
});

test("apiBlob returns the file and the name the node suggests", async () => {
  const { blob, filename, type } = await apiBlob("/pdf");
  assert.equal(await blob.text(), "%PDF-1.7");
  assert.equal(filename, "证书.pdf");
  assert.equal(type, "application/pdf");
  assert.equal(seen.headers.accept, "*/*");
  await assert.rejects(apiBlob("/missing"), (err) => err.status === 404 && err.code === "not_found");
});

test("Content-Disposition file names", () => {
  for (const [header, want] of [
    [null, ""],
    ["attachment", ""],
    ['attachment; filename="a \\"b\\".pdf"', 'a "b".pdf'],
    ["attachment; filename=receipt.tlog-proof", "receipt.tlog-proof"],
    ["attachment; filename*=UTF-8''%E5%AD%98%E8%AF%81.json", "存证.json"],
    ["attachment; filename*=UTF-8''%E5%AD; filename=\"x.json\"", "x.json"],
  ]) {
    assert.equal(dispositionFilename(header), want, String(header));
  }
});
