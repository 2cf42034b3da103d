// Depositing a file from the browser, as `jurichain deposit` does it: the
// file is hashed here (only its digest leaves the browser), the deposit is
// signed with the account key, submitted with ?wait= so that the answer
// carries the receipt, the receipt is checked before it is offered (against
// the policy this node serves, and that its leaf is the statement this
// browser signed), and the original is uploaded to the node's
// vault when the user asks (the capture page always does). The receipt and
// the metadata opening are offered as the files the CLI writes beside a
// deposited file: NAME.tlog-proof and NAME.meta.json, which
// `jurichain verify --policy POLICY NAME` reads.

import { ApiError } from "./api.js";
import { base64, fromBase64, fromHex, hex, signRequest, utf8 } from "./httpsig.js";
import { suites } from "./keys.js";
import { algorithms, commitment, normalizeMetadata, prepareDeposit, statementBytes } from "./deposit.js";
import { hashBlob } from "./hash.js";
import { MAX_POLICY_SIZE, readPolicy, verifyReceipt } from "../verify/index.js";
import { goJSON } from "./gojson.js";
import { PageError } from "./problem.js";
import { download, el } from "./dom.js";
import { formatTime, t } from "./i18n.js";

// How long the node may hold a submission until it commits (its maximum
// is a minute), and how often the page asks again while it stays pending.
const waitQuery = "wait=30s";
const pendingPolls = 3;

/** The content digest algorithm of a suite's deposits (sha256, or sm3 on a GM network). */
export function contentAlgorithm(suite) {
  return suites[suite].contentDigest;
}

// Deposits sent but not known to be committed: their salt and idempotency
// key, so that sending one again after a network error, even after a
// reload, names the same deposit instead of making a second.
const pendingItem = "jurichain.pending";
const pendingLife = 7 * 24 * 3600 * 1000;

function pendingAll() {
  try {
    const all = JSON.parse(localStorage.getItem(pendingItem) ?? "{}");
    return all && typeof all === "object" ? all : {};
  } catch {
    return {};
  }
}

function pendingSave(all) {
  const now = Date.now();
  for (const [k, v] of Object.entries(all)) if (!(now - v.at < pendingLife)) delete all[k];
  try {
    localStorage.setItem(pendingItem, JSON.stringify(all));
  } catch {
    // Storage full or disabled: a retry after a reload then makes a new
    // deposit, which is what the CLI without its key file would do too.
  }
}

function pendingName(key, digestHex, metadata) {
  return [key.id, digestHex, JSON.stringify(metadata)].join("\n");
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The trust policy this node serves at /policy, parsed (fetched once per
 * page). Receipts checked against it prove that the node is consistent
 * with itself, not that the network stands behind them: that takes a
 * copy of the network's policy kept apart, as the verification page and
 * `jurichain verify --policy` use.
 */
let policyPromise = null;
export function nodePolicy() {
  policyPromise ??= (async () => {
    let blob;
    try {
      const res = await fetch("/policy", { headers: { Accept: "text/plain" } });
      if (!res.ok) throw new Error(`${res.status}`);
      blob = await res.blob();
    } catch {
      throw new PageError("flow.policyUnreachable");
    }
    // Its bytes, as Go reads the file: text() would drop a byte order
    // mark and mend invalid UTF-8 that Go refuses.
    if (blob.size > MAX_POLICY_SIZE) throw new PageError("flow.policyBad", { message: `${blob.size} bytes, at most ${MAX_POLICY_SIZE}` });
    try {
      return await readPolicy(blob);
    } catch (err) {
      throw new PageError("flow.policyBad", { message: err?.message ?? String(err) });
    }
  })();
  policyPromise.catch(() => (policyPromise = null));
  return policyPromise;
}

/**
 * Deposits blob with metadata ({title, media_type, case_ref?, capture?})
 * as the signed-in session's account, on the network (suite, origin).
 * state is an object the caller keeps for this file: each step done is
 * recorded in it, so that calling again after an error (a retry) picks up
 * where it failed and never deposits twice. onStage(stage, done, total)
 * reports progress: "hash", "sign", "submit", "wait", "check", "upload".
 * Resolves with state, whose result, receipt, opening and digests are then
 * set (and uploaded when upload was asked for).
 */
export async function depositBlob({ session, suite, origin, blob, metadata, upload, state = {}, onStage = () => {} }) {
  const alg = contentAlgorithm(suite);
  if (!state.digests) {
    onStage("hash", 0, blob.size);
    state.digests = await hashBlob(blob, [alg], (done, total) => onStage("hash", done, total));
  }
  const digestHex = hex(state.digests[alg]);
  if (!state.prepared) {
    onStage("sign");
    const name = pendingName(session.key, digestHex, metadata);
    const all = pendingAll();
    const saved = all[name];
    const prepared = await prepareDeposit({
      suite,
      origin,
      key: session.key,
      digests: state.digests,
      size: blob.size,
      metadata,
      salt: saved ? fromBase64(saved.salt) : undefined,
      idempotencyKey: saved?.idempotencyKey,
    });
    all[name] = { salt: base64(prepared.salt), idempotencyKey: prepared.idempotencyKey, id: prepared.id, at: saved?.at ?? Date.now() };
    pendingSave(all);
    state.prepared = prepared;
    state.pendingName = name;
  }
  const id = state.prepared.id;
  if (state.result?.status !== "committed") {
    onStage("submit");
    let res = await session.call(`/v1/deposits?${waitQuery}&receipts=true`, { method: "POST", json: state.prepared.request });
    for (let i = 0; res.status === "pending" && i < pendingPolls; i++) {
      onStage("wait");
      res = await session.call(`/v1/deposits/${id}?${waitQuery}`);
    }
    if (res.status === "rejected") {
      forgetPending(state);
      throw new PageError("flow.rejected", { reason: res.reason ?? "" });
    }
    if (res.status !== "committed") throw new PageError("flow.stillPending");
    forgetPending(state);
    state.result = res;
  }
  if (!state.receipt) {
    onStage("check");
    let receipt = state.result.receipt;
    // The answer may precede the checkpoint that covers the deposit.
    for (let i = 0; !receipt && i < 20; i++) {
      await sleep(1000);
      receipt = (await session.call(`/v1/deposits/${id}`)).receipt;
    }
    if (!receipt) throw new PageError("flow.noReceipt", { id });
    state.opening = openingObject(state.prepared.opening);
    // The leaf must be the statement signed here, not only a deposit of
    // the same file: a node could answer with another deposit's receipt.
    const statement = await signedStatement(suite, state.prepared.request);
    state.proven = await verifyReceipt(await nodePolicy(), utf8(receipt), {
      digests: state.digests,
      opening: state.opening,
      expect: { depositId: id, statement },
    });
    state.receipt = receipt;
  }
  if (upload && !state.uploaded) {
    onStage("upload", 0, blob.size);
    await putOriginal({ key: session.key, id, blob, onProgress: (done, total) => onStage("upload", done, total) });
    state.uploaded = true;
  }
  return state;
}

/**
 * The canonical encoding of the statement a deposit request carries
 * (deposit.Statement.AppendBinary, without the signature): what the
 * browser signed, rebuilt from the request it sent.
 */
export async function signedStatement(suite, request) {
  const metadata = normalizeMetadata(request);
  const digests = Object.entries(request.digests)
    .map(([algorithm, v]) => ({ algorithm, value: fromHex(v) }))
    .sort((a, b) => algorithms[a.algorithm].id - algorithms[b.algorithm].id);
  const salt = fromBase64(request.salt);
  return statementBytes({
    digests,
    size: request.size,
    commitment: await commitment(suite, metadata, salt),
    depositor: fromBase64(request.depositor_key),
    idempotencyKey: request.idempotency_key,
  });
}

function forgetPending(state) {
  const all = pendingAll();
  delete all[state.pendingName];
  pendingSave(all);
}

/**
 * Streams blob to the node's vault as the original of deposit id, signed
 * with key; onProgress(sent, total) follows the upload. (fetch reports no
 * upload progress; XMLHttpRequest does.)
 */
export async function putOriginal({ key, id, blob, onProgress }) {
  const url = new URL(`/v1/deposits/${encodeURIComponent(id)}/original`, location.origin);
  const headers = await signRequest({ method: "PUT", url, body: undefined, key, alg: key.alg, keyId: key.id });
  await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : blob.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(blob.size, blob.size);
        resolve();
        return;
      }
      let problem;
      try {
        problem = JSON.parse(xhr.responseText);
      } catch {
        // below
      }
      if (problem && typeof problem.code === "string" && typeof problem.message === "string") {
        reject(new ApiError(xhr.status, problem.code, problem.message));
      } else {
        reject(new ApiError(xhr.status, "api.http", undefined, { status: xhr.status }));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "api.network"));
    xhr.send(blob);
  });
}

/**
 * An opening (deposit.Opening's JSON) with its fields in the Go struct's
 * order, so that it encodes as Go encodes it.
 */
export function openingObject(o) {
  const out = { title: o.title, media_type: o.media_type };
  if (o.case_ref) out.case_ref = o.case_ref;
  if (o.capture) {
    const c = {};
    for (const f of ["time", "latitude", "longitude", "device", "source_url", "address"]) {
      if (o.capture[f] !== undefined && o.capture[f] !== "") c[f] = o.capture[f];
    }
    if (Object.keys(c).length > 0) out.capture = c;
  }
  out.salt = o.salt;
  if (o.suite) out.suite = o.suite;
  return out;
}

/** The metadata opening file, byte for byte what `jurichain deposit` writes as NAME.meta.json. */
export function openingFile(opening) {
  return goJSON(openingObject(opening), "  ") + "\n";
}

/**
 * The base name of the evidence files of a deposit titled title: the
 * title's last path element, without characters file systems refuse.
 */
export function evidenceBase(title) {
  const last = String(title ?? "").split(/[/\\]/).pop();
  const clean = last.replace(/[\u0000-\u001f\u007f:*?"<>|]/g, "_").replace(/^\.+/, "").trim().slice(0, 150);
  return clean || "evidence";
}

/** The receipt file name for a deposit titled title (FILE.tlog-proof). */
export const receiptName = (title) => evidenceBase(title) + ".tlog-proof";

/** The metadata opening file name for a deposit titled title (FILE.meta.json). */
export const openingName = (title) => evidenceBase(title) + ".meta.json";

// Media types of common evidence files, for files the browser gives none.
const mediaTypes = {
  jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", gif: "image/gif", webp: "image/webp", heic: "image/heic",
  mp4: "video/mp4", mov: "video/quicktime", webm: "video/webm", mp3: "audio/mpeg", m4a: "audio/mp4", wav: "audio/wav",
  pdf: "application/pdf", txt: "text/plain; charset=utf-8", html: "text/html; charset=utf-8", htm: "text/html; charset=utf-8",
  json: "application/json", xml: "application/xml", zip: "application/zip", eml: "message/rfc822",
  doc: "application/msword", docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel", xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/** The media type of a file: the browser's, else from its extension, else application/octet-stream. */
export function mediaTypeOf(file) {
  if (file.type) return file.type;
  const ext = /\.([a-z0-9]+)$/i.exec(file.name ?? "")?.[1]?.toLowerCase();
  return mediaTypes[ext] ?? "application/octet-stream";
}

/** A file size for people: bytes, KiB, MiB or GiB. */
export function formatSize(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? String(v) : v.toFixed(v < 10 ? 1 : 0)) + " " + units[i];
}

/**
 * What a finished deposit shows: its number and certified time, and the
 * receipt and metadata opening to download, named as the CLI names them
 * for a file called title.
 */
export function resultView(state, title) {
  const r = state.result;
  const text = t(state.uploaded ? "flow.doneUploaded" : "flow.done", {
    number: r.index ?? "?",
    time: r.time ? formatTime(r.time) : "",
    id: r.id.slice(0, 16),
  });
  return el(
    "div",
    { class: "result", dataset: { id: r.id } },
    el("p", { class: "notice ok", role: "status", text }),
    el(
      "p",
      { class: "row" },
      el("button", {
        type: "button",
        class: "download-receipt",
        text: t("flow.downloadReceipt"),
        "aria-label": t("flow.downloadReceiptOf", { file: receiptName(title) }),
        onclick: () => download(receiptName(title), state.receipt, "text/plain"),
      }),
      el("button", {
        type: "button",
        class: "download-opening",
        text: t("flow.downloadOpening"),
        "aria-label": t("flow.downloadOpeningOf", { file: openingName(title) }),
        onclick: () => download(openingName(title), openingFile(state.opening), "application/json"),
      }),
      el("a", { class: "button open-detail", href: "/deposits?id=" + encodeURIComponent(r.id), text: t("flow.details") }),
    ),
  );
}
