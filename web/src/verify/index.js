// In-browser verification of Jurichain receipts: what Go's
// receipt.Verify does, for both crypto suites, so that a judge checks a
// receipt offline against a trust policy she keeps rather than trusting
// the server that serves the page. Every check accepts and refuses what
// the Go verifier accepts and refuses, and a refusal names the same check.
import { base64, base64RawURL, count, equal, toHex, utf8Loose } from "./bytes.js";
import { depositID, digestOf, formatTime, parseLeaf, signingMessage } from "./deposit.js";
import { leafHash, verifyInclusion } from "./merkle.js";
import { commitment, metadataOf, OpeningError, openingFromJSON, parseOpening, wellformed } from "./metadata.js";
import { CheckpointError, MAX_POLICY_SIZE, parsePolicy, PolicyError, policyInternals, readPolicy, verifyCheckpoint } from "./policy.js";
import { suiteByName, suites, suiteTools } from "./suites.js";
import { parseReceipt, parseReceiptBytes, ReceiptError } from "./tlogproof.js";

export { MAX_POLICY_SIZE, OpeningError, parseOpening, parsePolicy, parseReceipt, PolicyError, readPolicy, ReceiptError };

/** The verification steps, in order, named as Go names them (receipt.Check). */
export const Checks = Object.freeze({
  suite: "crypto suite",
  checkpoint: "checkpoint signatures",
  entry: "entry",
  inclusion: "inclusion proof",
  signature: "depositor signature",
  content: "content digest",
  metadata: "metadata opening",
});

/**
 * CheckError reports which check failed. check is one of Checks' values;
 * message says why, in English as the Go verifier says it; code is a
 * stable identifier of the reason, for pages that show it in the user's
 * language. String(e) is "check: message", as the CLI prints it.
 */
export class CheckError extends Error {
  constructor(check, message, code = "") {
    super(message);
    this.name = "CheckError";
    this.check = check;
    this.code = code;
  }

  toString() {
    return `${this.check}: ${this.message}`;
  }
}

// fail makes a CheckError; code tells apart the reasons within a check.
const fail = (check, code, message) => new CheckError(check, message, code);

/**
 * The digests of the file to compute for a verification under policy:
 * the suite's content digest and, when the receipt is given (bytes or
 * what parseReceipt returns), every other digest of its deposit that a
 * suite knows, as `jurichain verify` computes them. Without the receipt
 * it is the suite's digest and the other suite's; pass only those the
 * deposit carries to verifyReceipt, which compares every digest given.
 */
export function contentAlgorithms(policy, receipt) {
  const cs = policyInternals(policy).suite;
  if (receipt === undefined) return [cs.content, cs.second];
  const algs = [cs.content];
  try {
    const leaf = parseLeaf(receipt instanceof Uint8Array ? parseReceiptBytes(receipt).leaf : receipt.leaf);
    for (const d of leaf.digests) {
      if (suites.some((s) => s.content === d.name) && d.name !== cs.content && !algs.includes(d.name)) algs.push(d.name);
    }
  } catch {
    // A receipt or leaf that does not parse fails verification anyway.
  }
  return algs;
}

// suiteOfLeaf refuses a leaf whose depositor key is not of the policy's
// suite but is a key of another suite: the receipt comes from a network of
// that suite. A key of no suite is left to the signature check.
function suiteOfLeaf(cs, leaf) {
  if (cs.checkPublicKey(leaf.depositor) === null) return null;
  for (const o of suites) {
    if (o !== cs && o.checkPublicKey(leaf.depositor) === null) {
      return `the receipt's leaf carries an ${o.signature} depositor key, a key of the ${o.title} suite, and the policy is of the ${cs.title} suite: the receipt is of another network or was altered`;
    }
  }
  return null;
}

const firstLine = (b) => {
  const i = b.indexOf(0x0a);
  return utf8Loose(i < 0 ? b : b.subarray(0, i));
};

/**
 * Runs every check of a receipt against the policy, offline, in the
 * policy's suite (Go's receipt.Verify).
 *
 * policy is what parsePolicy returned; receiptBytes the .tlog-proof file.
 * digests ({sha256, sm3, sha512}: Uint8Array) are the file's digests,
 * each compared with the deposit's (see contentAlgorithms); none skips
 * the content check. opening is the metadata opening (NAME.meta.json):
 * its parsed JSON, or its text or bytes, which are read with
 * parseOpening (a key given twice is refused); undefined skips the
 * metadata check.
 *
 * expect ties the proof to the deposit the caller means, where a
 * receipt came from a server that might answer with another deposit's
 * (genuine) receipt: {depositId (hex), index, statement (the signed
 * statement's canonical encoding, without the signature), leaf (the
 * whole leaf)}, each optional. A receipt of any other deposit fails the
 * entry check, with code "expected-deposit", "expected-index",
 * "expected-statement" or "expected-leaf". The statement leaves the
 * signature out on purpose, as the CLI's check does: an SM2 signature is
 * randomised, so a retried deposit signs the same statement differently
 * and the log keeps the first signature.
 *
 * Returns what is proven: {suite, suiteTitle, origin, index, treeSize,
 * rootHash (hex), checkpointText (the signed checkpoint), cosigners,
 * checkedDigests, leaf: {digests: [{algorithm, hex}], contentDigest,
 * size, height, time (RFC 3339 with nanoseconds, as Go prints it),
 * timeNanos, depositorAlgorithm, depositorKey (hex), depositorKeyBase64,
 * depositorKeyId, byNode, idempotencyKey, depositId}, metadata (as the
 * opening spells it, when an opening was given and matched)}. Counts are
 * Numbers, or decimal strings beyond 2^53.
 *
 * Throws CheckError naming the failed check, ReceiptError when the file
 * is not a receipt (Go refuses it before any check), or Error for a
 * policy that parsePolicy did not return.
 */
export async function verifyReceipt(policy, receiptBytes, { digests, opening, expect } = {}) {
  const pol = policyInternals(policy);
  const cs = pol.suite;
  const r = parseReceiptBytes(receiptBytes);
  // The opening is read before any check, as the CLI reads its file
  // before verifying: one that cannot be read fails whatever else holds.
  let o = null;
  if (opening !== undefined) {
    try {
      if (typeof opening === "string" || opening instanceof Uint8Array || opening instanceof ArrayBuffer) opening = parseOpening(opening);
      o = openingFromJSON(opening);
    } catch (e) {
      if (!(e instanceof OpeningError)) throw e;
      if (e.code === "duplicate-key") throw fail(Checks.metadata, "opening-duplicate-key", e.message);
      throw fail(Checks.metadata, "opening-json", `the metadata opening cannot be read: ${e.message}: give the NAME.meta.json file the deposit wrote`);
    }
  }
  const tools = await suiteTools(cs);

  // The suite is checked first so that a receipt of another suite's
  // network is reported as such, not as a checkpoint signed by unknown
  // keys (a key ID hashes the signature type along with the key).
  let leaf = null;
  try {
    leaf = parseLeaf(r.leaf);
  } catch {
    // reported by the entry check
  }
  if (leaf) {
    const why = suiteOfLeaf(cs, leaf);
    if (why) throw fail(Checks.suite, "other-suite", why);
  }

  let cp;
  try {
    cp = await verifyCheckpoint(pol, r.checkpoint, tools.verify);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    const origin = firstLine(r.checkpoint);
    if (origin !== pol.logs[0].name) {
      throw fail(
        Checks.checkpoint,
        "other-network",
        `the networks differ: the receipt is from the log ${JSON.stringify(origin)}, the policy is for ${JSON.stringify(pol.logs[0].name)}: verify it with the policy of the network that issued it`,
      );
    }
    throw fail(Checks.checkpoint, checkpointCode(e.message), e.message);
  }

  try {
    leaf = parseLeaf(r.leaf);
  } catch (e) {
    throw fail(Checks.entry, "leaf", e.message);
  }
  if (leaf.index !== r.index) throw fail(Checks.entry, "index-mismatch", `leaf says index ${leaf.index}, receipt says ${r.index}`);
  if (!digestOf(leaf, cs.content)) {
    throw fail(
      Checks.entry,
      "leaf-suite",
      `digests.${cs.content}: required: this network's suite is ${cs.title}, whose deposits carry a ${cs.content} content digest`,
    );
  }
  if (expect) expected(expect, r, leaf, tools.hash);

  const why = verifyInclusion(tools.hash, r.index, cp.size, leafHash(tools.hash, r.leaf), r.proof, cp.hash);
  if (why) throw fail(Checks.inclusion, "inclusion", `entry ${r.index} is not in the tree of size ${cp.size}: ${why}`);

  // A weak key would let anyone have made the signature, and its holder
  // deny it: the deposit proves nothing about who made it.
  const bad = cs.checkPublicKey(leaf.depositor);
  if (bad) throw fail(Checks.signature, "weak-key", `the depositor key: ${bad}`);
  if (!(await tools.verify(leaf.depositor, signingMessage(leaf, cp.origin), leaf.signature))) {
    throw fail(Checks.signature, "bad-signature", "the depositor's signature does not verify");
  }

  const checkedDigests = [];
  for (const [name, got] of Object.entries(digests ?? {})) {
    if (!(got instanceof Uint8Array)) throw new TypeError(`digests.${name} must be a Uint8Array (what hashBlob returns)`);
    if (!["sha256", "sm3", "sha512"].includes(name)) {
      throw fail(Checks.content, "unknown-algorithm", `unknown digest algorithm ${JSON.stringify(name)} (known: sha256, sm3, sha512)`);
    }
    const want = digestOf(leaf, name);
    if (!want) throw fail(Checks.content, "no-digest", `the deposit carries no ${name} digest to compare the file's with`);
    if (!equal(got, want)) {
      throw fail(Checks.content, "digest-mismatch", `file ${name} ${toHex(got)} differs from the deposited ${toHex(want)}`);
    }
    checkedDigests.push(name);
  }

  let metadata = null;
  if (o) {
    const notWell = wellformed(o);
    if (notWell) throw fail(Checks.metadata, "not-wellformed", notWell);
    if (o.suite !== "" && o.suite !== cs.name) {
      const named = suiteByName(o.suite)?.title ?? o.suite;
      throw fail(Checks.metadata, "opening-suite", `the metadata opening is of the ${named} suite, the policy of the ${cs.title} suite`);
    }
    if (!equal(commitment(o, tools.hash), leaf.metadataCommitment)) {
      throw fail(Checks.metadata, "mismatch", "the metadata does not match the commitment in the entry");
    }
    metadata = metadataOf(o);
  }

  const content = digestOf(leaf, cs.content);
  return {
    suite: cs.name,
    suiteTitle: cs.title,
    origin: cp.origin,
    index: count(r.index),
    treeSize: count(cp.size),
    rootHash: toHex(cp.hash),
    checkpointText: utf8Loose(r.checkpoint),
    cosigners: cp.cosigners,
    checkedDigests,
    leaf: {
      digests: leaf.digests.map((d) => ({ algorithm: d.name, hex: toHex(d.value) })),
      contentDigest: { algorithm: cs.content, hex: toHex(content) },
      size: count(leaf.size),
      height: count(leaf.height),
      time: formatTime(leaf.timeNanos),
      timeNanos: leaf.timeNanos.toString(),
      depositorAlgorithm: cs.signature,
      depositorKey: toHex(leaf.depositor),
      depositorKeyBase64: base64(leaf.depositor),
      // The keyid under which a node's API knows the depositor's key.
      depositorKeyId: "key:" + base64RawURL(leaf.depositor),
      // A member node's log key deposits access-trail records.
      byNode: pol.logs.some((l) => equal(l.verifier.pub, leaf.depositor)),
      idempotencyKey: leaf.idempotencyKey,
      depositId: depositID(leaf, tools.hash),
    },
    metadata,
  };
}

// expected fails the entry check when the receipt proves another deposit
// than the one expected (see verifyReceipt).
function expected(expect, r, leaf, hash) {
  if (expect.depositId !== undefined && expect.depositId !== null) {
    const id = depositID(leaf, hash);
    if (String(expect.depositId).toLowerCase() !== id) {
      throw fail(
        Checks.entry,
        "expected-deposit",
        `the receipt proves deposit ${id}, not the deposit ${expect.depositId} it was fetched for: the server answered with another deposit's receipt`,
      );
    }
  }
  if (expect.index !== undefined && expect.index !== null) {
    let want;
    try {
      if (typeof expect.index === "number" && !Number.isSafeInteger(expect.index)) throw new RangeError();
      want = BigInt(expect.index);
    } catch {
      throw new TypeError(`expect.index must be a whole number (a string or BigInt beyond 2^53), not ${JSON.stringify(String(expect.index))}`);
    }
    if (want !== r.index) {
      throw fail(
        Checks.entry,
        "expected-index",
        `the receipt proves log entry ${r.index}, not entry ${want} it was fetched for: the server answered with another deposit's receipt`,
      );
    }
  }
  if (expect.statement !== undefined && !equal(expect.statement, leaf.statement)) {
    throw fail(Checks.entry, "expected-statement", "the leaf is not the statement this browser signed: the node answered with another deposit's receipt");
  }
  if (expect.leaf !== undefined && !equal(expect.leaf, r.leaf)) {
    throw fail(Checks.entry, "expected-leaf", "the receipt's leaf is not the leaf expected: the server answered with another deposit's receipt");
  }
}

function checkpointCode(message) {
  if (message.includes("quorum")) return "quorum";
  if (message.includes("not signed by a log")) return "not-signed-by-log";
  if (message.includes("invalid signature")) return "invalid-signature";
  if (message.includes("no verifiable signatures")) return "no-verifiable-signature";
  if (message.includes("parsing checkpoint")) return "parse";
  return "malformed";
}
