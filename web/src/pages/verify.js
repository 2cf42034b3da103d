// The public verification page: anyone (a judge, a lawyer, the other
// party) checks a file against its receipt or certificate, in the browser,
// against a trust policy they see and may replace with their own. The file
// is hashed here and never uploaded; the node is asked only for its policy,
// for public lookups (a certificate number, deposits of a content digest)
// and, when the user asks, for its check of a certificate's seal, which is
// shown apart from what this browser proved.
import { startPage } from "../lib/page.js";
import { el, replace, say, errorText, hex } from "../lib/dom.js";
import { t, formatTime, formatNumber, onLanguageChange } from "../lib/i18n.js";
import { hashBlob } from "../lib/hash.js";
import { pdfAttachments, maxCertificateSize } from "../lib/pdfattach.js";
import { readTimeStamp, checkpointBody } from "../lib/timestamp.js";
import { parseOpening, parsePolicy, parseReceipt, verifyReceipt, CheckError, Checks, contentAlgorithms, OpeningError } from "../verify/index.js";
import texts from "../../i18n/verify.json";

// The page's module exports the verifier it runs, so that a script (or a
// benchmark) in the page checks receipts with exactly this code.
export { parsePolicy, parseReceipt, verifyReceipt, contentAlgorithms };

// Sizes beyond which a file cannot be what its slot expects (receipt.MaxSize,
// policy.MaxSize, and a metadata opening with room to spare).
const maxReceipt = 256 << 10;
const maxPolicy = 64 << 10;
const maxOpening = 64 << 10;

// The digests a suite computes of files: those of a certificate the node
// reports are compared with the file's.
const fileDigests = ["sha256", "sm3"];

// How many deposits of one content a lookup shows.
const lookupLimit = 10;

const $ = (id) => document.getElementById(id);

/** A failure to show as it is: its text already says what to do. */
class UserError extends Error {}

const state = {
  files: { evidence: null, proof: null, opening: null },
  // policy: {parsed, text, source: "node" | "file", name}
  policy: null,
  nodePolicy: null,
  policyError: null,
  // The digests of each file hashed so far, so that a second check of the
  // same file does not read it again.
  digests: new WeakMap(),
  busy: false,
  // draw redraws the result in the page's current language.
  draw: null,
};

// ---- small helpers ----

function size(n) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${formatNumber(v)} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

function bytesOf(x) {
  if (x instanceof Uint8Array) return x;
  if (typeof x === "string") return new TextEncoder().encode(x);
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  return new Uint8Array(0);
}

function textOf(x) {
  return typeof x === "string" ? x : new TextDecoder().decode(bytesOf(x));
}

function hexOf(x) {
  return typeof x === "string" ? x.toLowerCase() : hex(bytesOf(x));
}

function base64Bytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hexBytes(s) {
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function startsWith(bytes, prefix) {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function readBytes(file, limit) {
  if (limit !== undefined && file.size > limit) throw new UserError(t("verify.err.tooLarge", { name: file.name }));
  try {
    return new Uint8Array(await file.arrayBuffer());
  } catch (err) {
    throw new UserError(t("verify.err.read", { name: file.name, message: err.message }));
  }
}

// A time as the proof states it (ISO 8601 with Go's nanoseconds) and in
// the reader's zone.
function localTime(iso) {
  const ms = String(iso).replace(/(\.\d{3})\d+/, "$1");
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? "" : formatTime(d);
}

/** GET or POST on the node's public API; a failure throws {code, message}. */
async function call(path, options = {}) {
  const resp = await fetch(path, { headers: { Accept: "application/json" }, ...options });
  if (!resp.ok) {
    let body = null;
    try {
      body = await resp.json();
    } catch {
      // Not the API's JSON error: say what came back.
    }
    throw { code: body?.code ?? String(resp.status), message: body?.message ?? `${resp.status} ${resp.statusText}`, status: resp.status };
  }
  return resp;
}

// ---- the trust policy ----

function describeQuorum(p) {
  const q = p.quorum;
  if (!q || q === "none") return t("verify.policy.quorumNone");
  const g = (p.groups ?? []).find((g) => g.name === q);
  if (g) return t("verify.policy.quorumGroup", { name: g.name, threshold: g.threshold, members: (g.members ?? []).join(", ") });
  return q;
}

function policyOrigin(p) {
  return p.origin ?? p.logs?.[0]?.name ?? "";
}

function policyLabel() {
  const p = state.policy;
  if (!p) return "";
  return p.source === "node" ? t("verify.policy.node") : t("verify.policy.own", { name: p.name });
}

function drawPolicy() {
  const view = $("policy-view");
  const p = state.policy;
  const parts = [];
  if (state.policyError) parts.push(el("p", { class: "notice error", role: "alert", text: state.policyError }));
  if (p) {
    const fromNode = p.source === "node";
    parts.push(
      el(
        "p",
        { class: "policy-source" },
        el("span", { class: "tag " + (fromNode ? "node" : "own"), id: "policy-source", text: policyLabel() }),
        " ",
        el("span", { class: "hint", text: t(fromNode ? "verify.policy.nodeNote" : "verify.policy.ownNote") }),
      ),
      el(
        "dl",
        { class: "facts" },
        el("dt", { i18n: "verify.policy.origin" }),
        el("dd", { class: "mono", id: "policy-origin", text: policyOrigin(p.parsed) }),
        el("dt", { i18n: "verify.policy.suite" }),
        el("dd", { text: t("suite." + p.parsed.suite) }),
        el("dt", { i18n: "verify.policy.witnesses" }),
        el("dd", { text: (p.parsed.witnesses ?? []).map((w) => w.name).join(", ") || "—" }),
        el("dt", { i18n: "verify.policy.quorum" }),
        el("dd", { id: "policy-quorum", text: describeQuorum(p.parsed) }),
      ),
      el("details", {}, el("summary", { i18n: "verify.policy.text" }), el("pre", { class: "policy-text", text: p.text })),
    );
  } else if (!state.policyError) {
    parts.push(el("p", { class: "hint", i18n: "verify.policy.loading" }));
  }
  replace(view, parts);
  $("policy-node").hidden = !(p && p.source === "file");
}

async function loadNodePolicy() {
  try {
    const resp = await call("/policy", { headers: { Accept: "text/plain" } });
    // The policy's bytes, as Go reads the file: text() would drop a byte
    // order mark and mend invalid UTF-8, which Go refuses.
    const blob = await resp.blob();
    if (blob.size > maxPolicy) throw new UserError(t("verify.policy.tooLarge", { name: "/policy", size: formatNumber(blob.size), max: formatNumber(maxPolicy) }));
    const parsed = parsePolicy(new Uint8Array(await blob.arrayBuffer()));
    state.nodePolicy = { parsed, text: parsed.text, source: "node", name: "/policy" };
    state.policy = state.nodePolicy;
    state.policyError = null;
  } catch (err) {
    state.policyError = t("verify.policy.fetchFailed", { message: err instanceof UserError ? err.message : errorText(err) });
  }
  drawPolicy();
}

async function loadPolicyFile(file) {
  try {
    if (file.size > maxPolicy) throw new UserError(t("verify.policy.tooLarge", { name: file.name, size: formatNumber(file.size), max: formatNumber(maxPolicy) }));
    // Its bytes, not a decoded text: a byte order mark or invalid UTF-8
    // must be refused where Go refuses it (see parsePolicy).
    const bytes = await readBytes(file, maxPolicy);
    let parsed;
    try {
      parsed = parsePolicy(bytes);
    } catch (err) {
      throw new UserError(t("verify.policy.bad", { name: file.name, message: err.message }));
    }
    state.policy = { parsed, text: parsed.text, source: "file", name: file.name };
    state.policyError = null;
    clearResult();
  } catch (err) {
    state.policyError = err instanceof UserError ? err.message : errorText(err);
  }
  drawPolicy();
}

// ---- the chosen files ----

const slots = ["evidence", "proof", "opening"];

function drawSlot(slot) {
  const f = state.files[slot];
  const out = $(slot + "-picked");
  if (!f) {
    replace(out, el("span", { class: "hint", i18n: "verify.none" }));
    return;
  }
  replace(
    out,
    el("span", { class: "mono", text: t("verify.picked", { name: f.name, size: size(f.size) }) }),
    " ",
    el("button", {
      type: "button",
      class: "small",
      "aria-label": t("verify.remove", { name: f.name }),
      text: "×",
      onclick: () => setSlot(slot, null),
    }),
  );
}

function setSlot(slot, file) {
  state.files[slot] = file;
  const input = $(slot + "-file");
  if (!file) input.value = "";
  else if (input.files?.[0] !== file) {
    // Show the file in its input too, so what is used is what is shown.
    try {
      const dt = new DataTransfer();
      dt.items.add(file);
      input.files = dt.files;
    } catch {
      input.value = "";
    }
  }
  drawSlot(slot);
}

// kindOf tells what a file dropped or picked among several is, by its
// name and, for small files, its first bytes.
async function kindOf(file) {
  const name = file.name.toLowerCase();
  if (name.endsWith(".tlog-proof")) return "proof";
  if (name.endsWith(".meta.json") || name.endsWith(".opening.json")) return "opening";
  if (file.size <= maxReceipt) {
    const head = new Uint8Array(await file.slice(0, 32).arrayBuffer());
    if (startsWith(head, "c2sp.org/tlog-proof@v1")) return "proof";
    if (name.endsWith(".json")) {
      try {
        if ("salt" in JSON.parse(await file.text())) return "opening";
      } catch {
        // Not an opening: an evidence file that happens to be JSON.
      }
    }
  }
  if (name.endsWith(".pdf") && file.size <= maxCertificateSize) {
    // A certificate carries its receipt as an attachment, named in clear.
    const body = new TextDecoder("latin1").decode(new Uint8Array(await file.arrayBuffer()));
    if (body.includes("/EmbeddedFile") && body.includes("receipt.tlog-proof")) return "proof";
  }
  return "evidence";
}

async function addFiles(list) {
  const added = [];
  for (const f of list) {
    const kind = await kindOf(f);
    setSlot(kind, f);
    const label = kind === "proof" ? (f.name.toLowerCase().endsWith(".pdf") ? "certificate" : "receipt") : kind;
    added.push(`${f.name} (${t("verify.kind." + label)})`);
  }
  if (added.length) say($("drop-status"), "info", t("verify.dropped", { list: added.join(", ") }));
}

// ---- hashing ----

function showHashing(name, done, total) {
  const box = $("hash-status");
  box.hidden = false;
  const bar = $("hash-progress");
  bar.max = Math.max(total, 1);
  bar.value = done;
  const percent = total ? Math.floor((100 * done) / total) : 100;
  $("hash-label").textContent = t("verify.hashing", { name, percent, size: size(total) });
}

// digestsOf hashes file with the algorithms not hashed yet, showing the
// progress, and returns {alg: Uint8Array} for algs.
async function digestsOf(file, algs) {
  const known = state.digests.get(file) ?? {};
  const missing = algs.filter((a) => !known[a]);
  if (missing.length) {
    // The bar is redrawn at most once a frame; none after the end.
    let pending = false;
    let finished = false;
    let last = [0, file.size];
    showHashing(file.name, 0, file.size);
    let got;
    try {
      got = await hashBlob(file, missing, (done, total) => {
        last = [done, total];
        if (pending) return;
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          if (!finished) showHashing(file.name, ...last);
        });
      });
    } catch (err) {
      throw new UserError(t("verify.err.hash", { name: file.name, message: err?.message ?? String(err) }));
    } finally {
      finished = true;
      $("hash-status").hidden = true;
    }
    Object.assign(known, got);
    state.digests.set(file, known);
  }
  return Object.fromEntries(algs.map((a) => [a, known[a]]));
}

// ---- verification ----

const checkKeys = Object.fromEntries(Object.entries(Checks).map(([k, v]) => [v, k]));

function failure(check, message, extra = {}) {
  return { ok: false, check, message, ...extra };
}

// failureOf turns what verifyReceipt threw into a failure: a failed
// check, or a receipt that does not parse.
function failureOf(err, receipt) {
  if (err instanceof CheckError) {
    const out = failure(checkKeys[err.check] ?? "receipt", err.message);
    if (out.check === "checkpoint") {
      // Say so when the receipt is plainly of another network.
      try {
        const origin = textOf(parseReceipt(receipt).checkpoint).split("\n")[0];
        const policy = policyOrigin(state.policy.parsed);
        if (origin && policy && origin !== policy) out.networks = { origin, policy };
      } catch {
        // The receipt parsed in verifyReceipt; nothing more to say.
      }
    }
    return out;
  }
  return failure("receipt", err?.message ?? String(err));
}

// timeStampOf reads a checkpoint's RFC 3161 token and checks that it
// stamps this checkpoint; its signature is not checked here.
async function timeStampOf(token, receipt) {
  if (!token) return null;
  try {
    const ts = readTimeStamp(token);
    const body = checkpointBody(bytesOf(parseReceipt(receipt).checkpoint));
    const sum = await hashBlob(new Blob([body]), [ts.hashAlgorithm]);
    return { genTime: ts.genTime, matches: equalBytes(sum[ts.hashAlgorithm] ?? new Uint8Array(0), ts.imprint) };
  } catch (err) {
    return { error: err?.message ?? String(err) };
  }
}

// proveReceipt checks a receipt under the policy: first alone (a bad
// receipt is reported before a large file is read), then with the file's
// digests (or the digest a lookup was made with) and the opening. expect
// ties a receipt the node sent to the deposit it was asked for.
async function proveReceipt(receipt, { file, opening, token, expect, known }) {
  const policy = state.policy.parsed;
  let proven;
  try {
    proven = await verifyReceipt(policy, receipt, { expect });
  } catch (err) {
    return failureOf(err, receipt);
  }
  let digests = known;
  // The suite's content digest, and every other the deposit carries that
  // a suite computes, as jurichain verify computes them.
  if (file) digests = await digestsOf(file, contentAlgorithms(policy, receipt));
  if (digests || opening) {
    try {
      proven = await verifyReceipt(policy, receipt, { digests, opening, expect });
    } catch (err) {
      return failureOf(err, receipt);
    }
  }
  return { ok: true, proven, file, checked: digests ? Object.keys(digests) : [], timeStamp: await timeStampOf(token, receipt) };
}

async function readOpening(file) {
  if (!file) return undefined;
  return openingOf(await readBytes(file, maxOpening), file.name);
}

// openingOf reads an opening's JSON, refusing one that gives a key twice
// (also in another case): JSON.parse and Go's reader would read such a
// file differently, so it is refused before anything is verified.
function openingOf(bytes, name) {
  try {
    return parseOpening(bytes);
  } catch (err) {
    if (err instanceof OpeningError && err.code === "duplicate-key") {
      const keys = err.first === err.key ? `"${err.key}"` : `"${err.first}" / "${err.key}"`;
      const where = err.where === "" ? t("verify.err.openingTop") : `"${err.where}"`;
      throw new UserError(t("verify.err.openingDuplicate", { name, keys, where }));
    }
    throw new UserError(t("verify.err.opening", { name, message: err.message }));
  }
}

// statementDiffers names what a certificate's certificate.json states
// differently from what its receipt proved, or returns "".
function statementDiffers(data, proven) {
  const leafDigest = (alg) => (proven.leaf?.digests ?? []).find((d) => d.algorithm === alg)?.hex;
  if (data.origin !== proven.origin) return `origin ${data.origin}`;
  if (String(data.leaf_index) !== String(proven.index)) return `leaf_index ${data.leaf_index}`;
  if (String(data.checkpoint?.size) !== String(proven.treeSize)) return `checkpoint.size ${data.checkpoint?.size}`;
  if (data.checkpoint?.root && data.checkpoint.root !== hexOf(proven.rootHash)) return `checkpoint.root ${data.checkpoint.root}`;
  for (const [alg, v] of Object.entries(data.digests ?? {})) {
    if (leafDigest(alg) !== v) return `digests.${alg} ${v}`;
  }
  if (data.depositor?.key && data.depositor.key !== hexOf(proven.leaf?.depositorKey)) return `depositor.key ${data.depositor.key}`;
  return "";
}

async function proveCertificate(pdfFile, bytes, evidence, openingFile) {
  let atts;
  try {
    atts = await pdfAttachments(bytes);
  } catch (err) {
    throw new UserError(t("verify.err.pdf", { name: pdfFile.name, message: err.message }));
  }
  const receipt = atts.get("receipt.tlog-proof");
  if (!receipt) throw new UserError(t("verify.err.noReceipt", { name: pdfFile.name }));
  let data = null;
  try {
    data = JSON.parse(new TextDecoder().decode(atts.get("certificate.json")));
  } catch {
    // Without its statement the receipt still proves the deposit.
  }
  let opening = await readOpening(openingFile);
  if (!opening && atts.has("opening.json")) {
    try {
      opening = openingOf(atts.get("opening.json"), "opening.json");
    } catch (err) {
      return { ...failure("metadata", err.message), certificate: { data, pdf: bytes, name: pdfFile.name } };
    }
  }
  let out = await proveReceipt(receipt, { file: evidence, opening, token: atts.get("checkpoint.tst") });
  if (out.ok && data) {
    const differs = statementDiffers(data, out.proven);
    if (differs) out = failure("certificate", t("verify.err.statement", { what: differs }));
  }
  out.certificate = { data, pdf: bytes, name: pdfFile.name };
  return out;
}

// ---- running a check ----

function clearResult() {
  state.draw = null;
  replace($("result"));
}

function show(draw) {
  state.draw = draw;
  draw();
  // The verdicts, said once to screen readers; the details are read where
  // the focus lands, on the result.
  announce(
    [...$("result").querySelectorAll(".verdict, .failed-check, .notice")]
      .map((n) => n.textContent)
      .join(" — "),
  );
}

function announce(text) {
  $("verdict-status").textContent = text;
}

function showError(message) {
  show(() => replace($("result"), el("p", { class: "notice error", role: "alert", text: message })));
}

// begin clears the previous result at once (so nobody reads an old verdict
// beside new inputs) and marks the page busy.
function begin() {
  if (state.busy) return false;
  state.busy = true;
  $("verify-button").disabled = true;
  $("lookup-button").disabled = true;
  clearResult();
  replace($("result"), el("p", { class: "notice info", role: "status", id: "checking", i18n: "verify.checking" }));
  return true;
}

function end() {
  state.busy = false;
  $("verify-button").disabled = false;
  $("lookup-button").disabled = false;
}

function focusResult() {
  const r = $("result");
  r.focus({ preventScroll: true });
  r.scrollIntoView({ block: "start", behavior: "smooth" });
}

async function guarded(fn) {
  try {
    await fn();
  } catch (err) {
    showError(err instanceof UserError ? err.message : errorText(err));
  } finally {
    end();
    focusResult();
  }
}

async function runVerify() {
  if (!begin()) return;
  await guarded(async () => {
    if (!state.policy) throw new UserError(t("verify.policy.missing"));
    const { evidence, proof, opening } = state.files;
    if (!evidence && !proof) throw new UserError(t(opening ? "verify.need.proof" : "verify.need.something"));
    if (!proof) return findByContent(evidence);
    const policyUsed = policyLabel();
    const head = new Uint8Array(await proof.slice(0, 32).arrayBuffer());
    let out;
    if (startsWith(head, "%PDF-")) {
      out = await proveCertificate(proof, await readBytes(proof, maxCertificateSize), evidence, opening);
    } else if (startsWith(head, "c2sp.org/tlog-proof@v1")) {
      const receipt = await readBytes(proof, maxReceipt);
      out = await proveReceipt(receipt, { file: evidence, opening: await readOpening(opening) });
    } else {
      throw new UserError(t("verify.err.notProof", { name: proof.name }));
    }
    show(() => replace($("result"), outcome(out, policyUsed)));
  });
}

// findByContent hashes a file and verifies here every deposit of it that
// the node's public log holds.
async function findByContent(file, known) {
  const policy = state.policy.parsed;
  const alg = contentAlgorithms(policy)[0];
  const digest = known ?? hex((await digestsOf(file, [alg]))[alg]);
  const resp = await call(`/v1/deposits?${alg}=${digest}&limit=${lookupLimit}`);
  const list = await resp.json();
  const deposits = list.deposits ?? [];
  const policyUsed = policyLabel();
  if (deposits.length === 0) {
    const message = file ? t("verify.found.none", { name: file.name }) : t("verify.lookup.notFound", { value: digest });
    show(() => replace($("result"), el("p", { class: "notice info", role: "status", id: "not-found", text: message })));
    return;
  }
  const outs = [];
  // Without a file, the digest looked up is what each deposit must carry.
  const lookedUp = file ? undefined : { [alg]: hexBytes(digest) };
  for (const d of deposits) {
    const receipt = bytesOf(d.receipt ?? "");
    const token = d.checkpoint_timestamp ? base64Bytes(d.checkpoint_timestamp) : undefined;
    // Each receipt must prove the deposit the node listed beside it.
    const expect = { depositId: d.id, index: d.index ?? undefined };
    const out = await proveReceipt(receipt, { file, token, expect, known: lookedUp });
    out.deposit = d;
    outs.push(out);
  }
  show(() =>
    replace(
      $("result"),
      el("p", { class: "hint", text: t("verify.found.some", { n: deposits.length }) }),
      outs.map((o) => outcome(o, policyUsed)),
      list.more ? el("p", { class: "hint", text: t("verify.found.more", { n: deposits.length }) }) : null,
    ),
  );
}

// certificateNumber normalizes a certificate number as people type it,
// as the node does (certificate.ParseNumber), or returns "".
function certificateNumber(s) {
  let v = s.trim().replace(/[-\s]/g, "").toUpperCase();
  if (v.length === 22 && v.startsWith("JC")) v = v.slice(2);
  if (!/^[A-Z2-7]{20}$/.test(v)) return "";
  return `JC-${v.slice(0, 5)}-${v.slice(5, 10)}-${v.slice(10, 15)}-${v.slice(15)}`;
}

async function runLookup() {
  const value = $("lookup-input").value.trim();
  if (!value) return;
  if (!begin()) return;
  await guarded(async () => {
    const number = certificateNumber(value);
    if (number) {
      const check = await (await call(`/v1/certificates/${encodeURIComponent(number)}`)).json();
      let fileCheck = null;
      const evidence = state.files.evidence;
      if (evidence && check.certificate?.digests) {
        const algs = Object.keys(check.certificate.digests).filter((a) => fileDigests.includes(a));
        if (algs.length) {
          const got = await digestsOf(evidence, algs);
          fileCheck = { name: evidence.name, matches: algs.every((a) => hex(got[a]) === check.certificate.digests[a]) };
        }
      }
      show(() => replace($("result"), nodeCheck(check, { byNumber: true, fileCheck })));
      return;
    }
    if (/^#?\d+$/.test(value)) {
      show(() => replace($("result"), el("p", { class: "notice info", role: "status", id: "deposit-private", i18n: "verify.lookup.deposit" })));
      return;
    }
    if (/^[0-9a-fA-F]{64}$/.test(value)) {
      if (!state.policy) throw new UserError(t("verify.policy.missing"));
      return findByContent(null, value.toLowerCase());
    }
    throw new UserError(t("verify.lookup.bad", { value }));
  });
}

async function runSealCheck(button, box, cert) {
  button.disabled = true;
  replace(box, el("p", { class: "notice info", role: "status", i18n: "verify.checking" }));
  try {
    const resp = await call("/v1/certificates/check", { method: "POST", headers: { "Content-Type": "application/pdf", Accept: "application/json" }, body: cert.pdf });
    // Kept with the certificate, so that a redraw (another language)
    // shows it again.
    cert.check = await resp.json();
    replace(box, nodeCheck(cert.check, {}));
    announce(t(cert.check.genuine ? "verify.node.genuine" : "verify.node.notGenuine"));
  } catch (err) {
    replace(box, el("p", { class: "notice error", role: "alert", text: errorText(err) }));
  } finally {
    button.disabled = false;
  }
}

// ---- drawing results ----

function fact(label, ...value) {
  return [el("dt", { text: label }), el("dd", {}, ...value)];
}

function metadataFacts(m) {
  const out = [];
  const add = (key, v) => {
    if (v !== undefined && v !== null && v !== "") out.push(...fact(t(key), el("span", { text: String(v) })));
  };
  add("verify.fact.title", m.title);
  add("verify.fact.mediaType", m.media_type ?? m.mediaType);
  add("verify.fact.case", m.case_ref ?? m.caseRef);
  const c = m.capture;
  if (c) {
    add("verify.fact.capturedAt", c.time);
    if (c.latitude !== undefined && c.longitude !== undefined) add("verify.fact.location", `${c.latitude}, ${c.longitude}`);
    add("verify.fact.device", c.device);
    add("verify.fact.source", c.source_url ?? c.sourceURL);
    add("verify.fact.address", c.address);
  }
  return out;
}

function timeStampFact(ts, nodeTime) {
  if (nodeTime) return el("span", {}, el("span", { class: "mono", text: nodeTime }), " ", el("span", { class: "tag ok", i18n: "verify.fact.tsaNode" }));
  if (!ts) return el("span", { class: "hint", i18n: "verify.fact.tsaNone" });
  if (ts.error) return el("span", { class: "hint", text: t("verify.fact.tsaUnreadable", { message: ts.error }) });
  if (!ts.matches) return el("span", { class: "tag bad", i18n: "verify.fact.tsaMismatch" });
  return el("span", {}, el("span", { class: "mono", id: "tsa-time", text: ts.genTime }), ` (${localTime(ts.genTime)}) `, el("span", { class: "hint", i18n: "verify.fact.tsaBrowser" }));
}

function proofFacts(out, policyUsed) {
  const p = out.proven;
  const leaf = p.leaf ?? {};
  const suiteAlg = contentAlgorithms(state.policy.parsed)[0];
  const digests = [...(leaf.digests ?? [])].sort((a, b) => (a.algorithm === suiteAlg ? -1 : b.algorithm === suiteAlg ? 1 : 0));
  const facts = [];
  if (out.file) facts.push(...fact(t("verify.fact.file"), el("span", { class: "tag ok", text: t("verify.fact.fileMatches", { name: out.file.name, size: size(out.file.size) }) })));
  for (const d of digests) {
    const checked = out.checked.includes(d.algorithm);
    facts.push(
      ...fact(
        t("verify.fact.digest", { alg: d.algorithm.toUpperCase() }),
        el("span", { class: "mono digest", dataset: { alg: d.algorithm }, text: d.hex }),
        " ",
        el("span", { class: "tag " + (checked ? "ok" : ""), i18n: checked ? "verify.fact.checked" : "verify.fact.notChecked" }),
      ),
    );
  }
  facts.push(...fact(t("verify.fact.size"), t("verify.fact.bytes", { n: formatNumber(leaf.size) })));
  facts.push(...fact(t("verify.fact.depositor"), el("span", { class: "mono", text: `${leaf.depositorAlgorithm} ${hexOf(leaf.depositorKey)}` })));
  facts.push(
    ...fact(
      t("verify.fact.certified"),
      el("span", { class: "mono", id: "certified-time", text: leaf.time }),
      el("br"),
      el("span", { class: "hint", text: t("verify.fact.certifiedNote", { local: localTime(leaf.time), height: leaf.height ?? "—" }) }),
    ),
  );
  facts.push(...fact(t("verify.fact.tsa"), timeStampFact(out.timeStamp, out.nodeTime)));
  facts.push(...fact(t("verify.fact.log"), el("span", { class: "log-position", text: t("verify.fact.logValue", { origin: p.origin, index: p.index, size: p.treeSize }) })));
  facts.push(...fact(t("verify.fact.root"), el("span", { class: "mono", text: hexOf(p.rootHash) })));
  facts.push(...fact(t("verify.fact.cosigners"), el("span", { class: "cosigners", text: (p.cosigners ?? []).join(", ") || "—" })));
  facts.push(...fact(t("verify.fact.quorum"), t("verify.fact.quorumMet", { quorum: describeQuorum(state.policy.parsed) })));
  if (leaf.idempotencyKey) facts.push(...fact(t("verify.fact.idempotency"), el("span", { class: "mono", text: leaf.idempotencyKey })));
  if (p.metadata) {
    facts.push(...fact(t("verify.fact.metadata"), el("span", { class: "tag ok", i18n: "verify.fact.metadataProven" })), ...metadataFacts(p.metadata));
  } else {
    facts.push(...fact(t("verify.fact.metadata"), el("span", { class: "hint", i18n: "verify.fact.metadataNone" })));
  }
  if (out.deposit) facts.push(...fact(t("verify.fact.deposit"), el("span", { class: "mono", text: out.deposit.id }), el("br"), el("span", { class: "hint", i18n: "verify.fact.source.api" })));
  facts.push(...fact(t("verify.fact.policy"), el("span", { class: "policy-used", text: policyUsed })));
  return el(
    "dl",
    { class: "facts" },
    facts,
  );
}

function certificateBlock(cert) {
  const d = cert.data;
  const box = el("div", { class: "node-box", id: "seal-result" }, cert.check ? nodeCheck(cert.check, {}) : null);
  const button = el("button", { type: "button", id: "seal-check", i18n: "verify.cert.sealButton" });
  button.addEventListener("click", () => runSealCheck(button, box, cert));
  const facts = [];
  if (d) {
    facts.push(...fact(t("verify.cert.number"), el("span", { class: "mono", id: "certificate-number", text: d.number })));
    facts.push(...fact(t("verify.cert.institution"), el("span", { text: `${d.institution?.name ?? ""} (${d.institution?.kind ?? ""})` })));
    if (d.depositor?.name) facts.push(...fact(t("verify.cert.depositor"), el("span", { text: d.depositor.name })));
    if (d.depositor?.account) facts.push(...fact(t("verify.cert.account"), el("span", { class: "mono", text: d.depositor.account })));
  }
  return el(
    "div",
    { class: "certificate-block" },
    el("h3", { text: t("verify.cert.title", { number: d?.number ?? cert.name }) }),
    el("p", { class: "hint", i18n: "verify.cert.stated" }),
    facts.length ? el("dl", { class: "facts" }, facts) : null,
    el("p", { class: "row" }, button),
    el("p", { class: "hint", i18n: "verify.cert.sealHint" }),
    box,
  );
}

function outcome(out, policyUsed) {
  const id = "verdict-" + Math.random().toString(36).slice(2, 8);
  const card = el("article", { class: "result-card " + (out.ok ? "ok" : "bad"), "aria-labelledby": id });
  if (out.ok) {
    const p = out.proven;
    replace(
      card,
      el("h2", { class: "verdict ok", id, i18n: "verify.verdict.ok" }),
      el("p", { class: "summary", text: t("verify.summary.ok", { origin: p.origin, index: p.index }) }),
      el("p", { class: "summary", text: out.file ? t("verify.summary.file", { name: out.file.name }) : t("verify.summary.noFile") }),
      proofFacts(out, policyUsed),
      el("details", {}, el("summary", { i18n: "verify.fact.checkpoint" }), el("pre", { class: "checkpoint-text", text: textOf(p.checkpointText) })),
    );
  } else {
    const checkName = t("verify.check." + out.check);
    replace(
      card,
      el("h2", { class: "verdict bad", id, i18n: "verify.verdict.bad" }),
      el("p", { class: "failed-check", dataset: { check: out.check }, text: t("verify.failed.check", { check: checkName }) }),
      el("h3", { i18n: "verify.failed.next" }),
      el("p", { class: "next-step", text: t("verify.next." + out.check) }),
      out.networks ? el("p", { class: "next-step", text: t("verify.failed.networks", out.networks) }) : null,
      el("h3", { i18n: "verify.failed.detail" }),
      el("p", { class: "mono detail", text: out.message }),
      el("dl", { class: "facts" }, fact(t("verify.fact.policy"), el("span", { class: "policy-used", text: policyUsed }))),
    );
  }
  if (out.certificate) card.append(certificateBlock(out.certificate));
  return card;
}

// nodeCheck draws the node's verdict on a certificate, apart from what the
// browser proved, and says where it comes from.
function nodeCheck(c, { byNumber, fileCheck }) {
  const d = c.certificate;
  const facts = [];
  if (d) {
    facts.push(...fact(t("verify.cert.number"), el("span", { class: "mono", id: "node-number", text: d.number })));
    facts.push(...fact(t("verify.cert.institution"), el("span", { text: `${d.institution?.name ?? ""} (${d.institution?.kind ?? ""})` })));
    for (const [alg, v] of Object.entries(d.digests ?? {})) {
      facts.push(...fact(t("verify.fact.digest", { alg: alg.toUpperCase() }), el("span", { class: "mono digest", dataset: { alg }, text: v })));
    }
    facts.push(...fact(t("verify.fact.size"), t("verify.fact.bytes", { n: formatNumber(d.file?.size ?? 0) })));
    facts.push(...fact(t("verify.fact.certified"), el("span", { class: "mono", text: d.certified_time }), ` (${localTime(d.certified_time)})`));
    facts.push(...fact(t("verify.fact.log"), t("verify.fact.logValue", { origin: d.origin, index: d.leaf_index, size: d.checkpoint?.size })));
    facts.push(...fact(t("verify.fact.root"), el("span", { class: "mono", text: d.checkpoint?.root ?? "" })));
    facts.push(...fact(t("verify.fact.cosigners"), el("span", { class: "cosigners", text: (d.checkpoint?.cosigners ?? []).join(", ") })));
    facts.push(...fact(t("verify.fact.deposit"), el("span", { class: "mono", text: d.deposit })));
  }
  if (c.sealed_at) facts.push(...fact(t("verify.node.sealedAt"), el("span", { class: "mono", text: c.sealed_at })));
  if (c.checkpoint_time) facts.push(...fact(t("verify.node.checkpointTime"), timeStampFact(null, c.checkpoint_time)));
  if (c.still_in_log) {
    const s = c.still_in_log;
    facts.push(...fact(t("verify.node.stillInLog"), el("span", { class: "tag " + (s.consistent ? "ok" : "bad"), text: t(s.consistent ? "verify.node.stillYes" : "verify.node.stillNo", { size: s.latest_size }) })));
  }
  return el(
    "article",
    { class: "result-card node-check " + (c.genuine ? "ok" : "bad") },
    el("p", { class: "node-label", i18n: "verify.node.title" }),
    el("h2", { class: "verdict " + (c.genuine ? "ok" : "bad"), id: "node-verdict", i18n: c.genuine ? "verify.node.genuine" : "verify.node.notGenuine" }),
    c.genuine ? null : el("p", { class: "failed-check", text: t("verify.node.failed", { check: c.failed_check ?? "", message: c.message ?? "" }) }),
    fileCheck ? el("p", { class: "notice " + (fileCheck.matches ? "ok" : "error"), text: t(fileCheck.matches ? "verify.node.fileMatches" : "verify.node.fileDiffers", { name: fileCheck.name }) }) : null,
    facts.length ? el("dl", { class: "facts" }, facts) : null,
    byNumber ? el("p", { class: "hint", i18n: "verify.node.byNumber" }) : null,
  );
}

// ---- wiring ----

function wireDrop() {
  const zone = $("drop-zone");
  // A file dropped beside the zone must not replace the page with itself.
  for (const type of ["dragover", "drop"]) document.addEventListener(type, (e) => e.preventDefault());
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    addFiles([...(e.dataTransfer?.files ?? [])]).catch((err) => showError(errorText(err)));
  });
  $("any-files").addEventListener("change", (e) => {
    addFiles([...e.target.files])
      .catch((err) => showError(errorText(err)))
      .finally(() => (e.target.value = ""));
  });
}

async function main() {
  for (const slot of slots) {
    $(slot + "-file").addEventListener("change", (e) => {
      state.files[slot] = e.target.files?.[0] ?? null;
      drawSlot(slot);
    });
    drawSlot(slot);
  }
  wireDrop();
  $("verify-button").addEventListener("click", runVerify);
  $("clear-button").addEventListener("click", () => {
    for (const slot of slots) setSlot(slot, null);
    $("drop-status").hidden = true;
    $("lookup-input").value = "";
    clearResult();
  });
  $("lookup-form").addEventListener("submit", (e) => {
    e.preventDefault();
    runLookup();
  });
  $("policy-file").addEventListener("change", (e) => {
    const f = e.target.files?.[0];
    if (f) loadPolicyFile(f).finally(() => (e.target.value = ""));
  });
  $("policy-node").addEventListener("click", () => {
    clearResult();
    if (state.nodePolicy) {
      state.policy = state.nodePolicy;
      state.policyError = null;
      drawPolicy();
    } else loadNodePolicy();
  });
  onLanguageChange(() => {
    drawPolicy();
    for (const slot of slots) drawSlot(slot);
    state.draw?.();
  });
  await loadNodePolicy();
  // A link to /verify?number=JC-… looks the certificate up at once.
  const number = new URLSearchParams(location.search).get("number");
  if (number) {
    $("lookup-input").value = number;
    runLookup();
  }
}

startPage([texts], main);
