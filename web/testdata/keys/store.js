// The key store of keys.js in a real browser (IndexedDB, WebCrypto): run
// by web/keys_test.go's TestKeyStoreInChromium, which checks what this
// posts to /result, and verifies the signatures with Go.

import { base64, hex, utf8 } from "../../src/lib/httpsig.js";
import { deleteKey, generateKey, importPEM, listKeys, loadKey, updateKey } from "../../src/lib/keys.js";

// The record exactly as IndexedDB holds it, read past keys.js.
function rawRecord(id) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("jurichain");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const get = db.transaction("keys").objectStore("keys").get(id);
      get.onsuccess = () => {
        db.close();
        resolve(get.result);
      };
      get.onerror = () => reject(get.error);
    };
  });
}

async function signed(key, msg) {
  return { public_key: hex(key.publicKey), msg, signature: base64(await key.sign(utf8(msg))) };
}

async function run() {
  const vectors = await (await fetch("/testdata/keys/httpsig.json")).json();
  const out = { suites: [] };
  for (const suite of ["intl", "gm"]) {
    const pem = vectors.suites.find((s) => s.suite === suite).private_pem;
    const otherPem = vectors.suites.find((s) => s.suite !== suite).private_pem;
    const r = { suite };
    const made = await generateKey(suite, { label: "made here" });
    const imported = await importPEM(pem, suite, { label: "alice.key" });
    r.again_label = (await importPEM(pem, suite, { label: "second import" })).label;
    await updateKey(imported.id, { account: "acct-1" });
    r.listed = (await listKeys(suite)).map((k) => ({ id: k.id, label: k.label, account: k.account ?? "" }));
    // Keys read back from IndexedDB (structured clones) still sign.
    r.made = await signed(await loadKey(made.id), `made in the browser, ${suite}`);
    r.imported = await signed(await loadKey(imported.id), `imported in the browser, ${suite}`);
    const rec = await rawRecord(made.id);
    r.stored = {
      fields: Object.keys(rec).sort().join(","),
      private_type: Object.prototype.toString.call(rec.privateKey),
      extractable: rec.privateKey instanceof CryptoKey ? rec.privateKey.extractable : null,
    };
    r.wrong_suite = await importPEM(otherPem, suite).then(
      () => "accepted",
      (e) => e.code,
    );
    await deleteKey(made.id);
    r.after_delete = await loadKey(made.id).then(
      () => "still there",
      (e) => e.code,
    );
    r.remaining = (await listKeys(suite)).map((k) => k.id);
    out.suites.push(r);
  }
  return out;
}

let result;
try {
  result = await run();
} catch (err) {
  result = { error: String(err?.stack ?? err) };
}
await fetch("/result", { method: "POST", body: JSON.stringify(result) });
