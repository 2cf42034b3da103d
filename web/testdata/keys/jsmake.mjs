// Makes signed requests and deposits with the portal's library (src/lib)
// and prints them as JSON, for web/keys_test.go to check with Go's own
// verifiers. For each suite it uses a key made here at random and the key
// of the PEM file Go wrote (httpsig.json); with a node URL it also sends
// requests through api() to the Go test's server.
//
// Usage: node jsmake.mjs VECTORS_DIR [SERVER_URL]

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiError, api } from "../../src/lib/api.js";
import { prepareDeposit } from "../../src/lib/deposit.js";
import { base64, hex, signRequest, utf8 } from "../../src/lib/httpsig.js";
import { exportPublicPEM, keyFromPEM, newKey, sm3 } from "../../src/lib/keys.js";

const [dir, server] = process.argv.slice(2);
const vectors = JSON.parse(readFileSync(join(dir, "httpsig.json"), "utf8"));

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

async function requests(key) {
  const cases = [
    { method: "GET", url: "http://127.0.0.1:8080/v1/deposits?sha256=" + "ab".repeat(32) + "&after=3" },
    { method: "POST", url: "http://127.0.0.1:8080/v1/deposits", body: utf8(JSON.stringify({ size: 3, title: "证据" })) },
    { method: "PUT", url: "http://127.0.0.1:8080/v1/accounts/acct-1/keys/2" },
    { method: "DELETE", url: "http://127.0.0.1:8080/v1/tokens/t1?" },
  ];
  const out = [];
  for (const c of cases) {
    const headers = await signRequest({ ...c, key, alg: key.alg, keyId: key.id });
    out.push({ method: c.method, url: c.url, body: c.body ? base64(c.body) : null, headers });
  }
  return out;
}

async function deposits(suite, key) {
  const content = utf8("the scene at 9:30\n");
  const digests = { sha256: await sha256(content), sm3: await sm3(content) };
  const cases = [
    { digests: suite === "intl" ? { sha256: digests.sha256 } : { sm3: digests.sm3 }, metadata: { title: "photo.jpg", media_type: "image/jpeg" } },
    {
      digests,
      metadata: {
        title: "现场照片 photo.jpg",
        media_type: "image/jpeg",
        case_ref: "(2026)京0491民初123号",
        capture: { time: "2026-05-01T09:30:00+08:00", latitude: 0.00001, longitude: -116.3975, device: "Pixel 9", address: "北京市海淀区中关村大街1号" },
      },
    },
  ];
  const out = [];
  for (const c of cases) {
    const d = await prepareDeposit({ suite, origin: "example.org/jurichain-test", key, size: content.length, ...c });
    out.push({ request: d.request, opening: d.opening, id: d.id });
  }
  return out;
}

// live sends requests through api() to the Go test's server, which
// verifies them with httpsig's Verifier and answers what it verified.
async function live(suite, key) {
  const out = [];
  const calls = [
    ["get", `/${suite}/v1/deposits?case=%E6%B0%91&after=3`, {}],
    ["post-json", `/${suite}/v1/deposits`, { json: { title: "证据", size: 3 } }],
    ["put-empty", `/${suite}/v1/accounts/acct-1/keys/2`, { method: "put" }],
    ["post-bytes", `/${suite}/v1/raw`, { body: new Uint8Array([0, 1, 2, 255]), headers: { "Content-Type": "application/octet-stream" } }],
    ["wrong-authority", `/wrong/${suite}/v1/status`, {}],
  ];
  for (const [name, path, opts] of calls) {
    try {
      out.push({ name, result: await api(path, { ...opts, key }) });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      out.push({ name, error: { status: err.status, code: err.code, message: err.message } });
    }
  }
  return out;
}

if (server) globalThis.location = new URL(server);
const result = { suites: [] };
for (const v of vectors.suites) {
  const keys = [
    ["random", await newKey(v.suite)],
    ["pem", await keyFromPEM(v.private_pem, v.suite)],
  ];
  const s = { suite: v.suite, keys: [] };
  for (const [source, key] of keys) {
    s.keys.push({
      source,
      key_id: key.id,
      public_key: hex(key.publicKey),
      public_pem: exportPublicPEM(key),
      requests: await requests(key),
      deposits: await deposits(v.suite, key),
      live: server ? await live(v.suite, key) : [],
    });
  }
  result.suites.push(s);
}
process.stdout.write(JSON.stringify(result));
