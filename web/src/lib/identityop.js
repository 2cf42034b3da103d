// Decisions on accounts (approve, reject, suspend, reinstate) signed in
// the browser exactly as `jurichain account approve|reject|suspend|
// reinstate` signs them: the text of package identity's Op, signed as a
// C2SP signed note (golang.org/x/mod/sumdb/note) by the deciding account's
// key under its account id, as identity.NewSigner names it. The ledger
// checks the signature and who may decide (identity.Apply, MayDecide);
// what this module refuses early is only what the ledger would refuse
// anyway, so that a user learns it before signing.
//
// The module needs no DOM and no IndexedDB, so Node's tests run it against
// vectors Go writes (web/identity_test.go).
import { base64 } from "./httpsig.js";

const opHeader = "jurichain identity operation";

/** The decisions a reviewer or an admin signs, as identity.Action names them. */
export const decisions = Object.freeze(["approve", "reject", "suspend", "reinstate"]);

/**
 * The status an account must have for a decision to apply, and the one it
 * has after it (identity.transition).
 */
export const transitions = Object.freeze({
  approve: Object.freeze({ from: "pending", to: "approved" }),
  reject: Object.freeze({ from: "pending", to: "rejected" }),
  suspend: Object.freeze({ from: "approved", to: "suspended" }),
  reinstate: Object.freeze({ from: "suspended", to: "approved" }),
});

// The signature type that follows a key's name in the key hash of a note
// signature (suite.noteFormat): Ed25519's assigned 0x01, and for SM2 the
// reserved 0xff followed by the type's identifier.
const noteTypes = {
  intl: Uint8Array.of(0x01),
  gm: Uint8Array.of(0xff, ...new TextEncoder().encode("jurichain/sm2-note/v1")),
};

/**
 * Whether an account of role actor may sign action on an account of role
 * target at its own institution: identity.MayDecide for accounts (the
 * node may always). Reviewers decide depositors; admins decide everyone.
 */
export function mayDecide(actor, action, target) {
  const staff = target !== "depositor";
  switch (action) {
    case "register":
      return staff && actor === "admin";
    case "approve":
    case "reject":
    case "suspend":
    case "reinstate":
      return actor === "admin" || (!staff && actor === "reviewer");
    case "add-key":
    case "revoke-key":
      return actor === "admin";
  }
  return false;
}

// Characters usertext.Check refuses: controls, line separators and the
// bidirectional formatting characters.
const refusedChar = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;
// A lone surrogate: not valid UTF-8 once encoded, which Go refuses.
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// What Go's unicode.IsSpace calls space, for strings.TrimSpace.
const goSpace = "\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
const edgeSpace = new RegExp(`^[${goSpace}]|[${goSpace}]$`);

/**
 * Why the ledger would refuse reason for action, or null when it would
 * not (identity.validReason, and that only approve goes without one):
 * {problem, params} where problem is one of "missing", "long", "lines",
 * "spaces", "character" and params fill the message.
 */
export function reasonProblem(action, reason) {
  if (reason === "") return action === "approve" ? null : { problem: "missing", params: {} };
  const bytes = new TextEncoder().encode(reason).length;
  if (bytes > 500) return { problem: "long", params: { bytes } };
  if (/[\n\r]/.test(reason)) return { problem: "lines", params: {} };
  if (edgeSpace.test(reason)) return { problem: "spaces", params: {} };
  const bad = refusedChar.exec(reason) ?? loneSurrogate.exec(reason);
  if (bad) {
    const cp = bad[0].codePointAt(0);
    return { problem: "character", params: { char: "U+" + cp.toString(16).toUpperCase().padStart(4, "0"), at: bad.index + 1 } };
  }
  return null;
}

function checkName(what, v) {
  if (typeof v !== "string" || v === "" || /[\s+]/.test(v) || refusedChar.test(v) || loneSurrogate.test(v)) {
    throw new Error(`identity operation: ${what} ${JSON.stringify(v)} is missing or malformed`);
  }
}

/**
 * The note text of a decision, byte for byte identity.Op.Text:
 * {origin, account, version, action, reason}. It throws when the ledger
 * would refuse the operation's form (reasonProblem says why to a user).
 */
export function decisionText({ origin, account, version, action, reason = "" }) {
  checkName("network", origin);
  if (typeof account !== "string" || !account.startsWith("acct-") || account.length !== 25) {
    throw new Error(`identity operation: account ${JSON.stringify(account)} is not an account id`);
  }
  if (!decisions.includes(action)) throw new Error(`identity operation: ${JSON.stringify(action)} is not a decision`);
  const v = BigInt(version);
  if (v < 0n || v >= 1n << 64n) throw new Error(`identity operation: version ${version} is out of range`);
  const p = reasonProblem(action, reason);
  if (p) throw new Error(`identity operation: the reason is refused (${p.problem})`);
  // Go trims the spaces after an approval without a reason.
  const line = `${action} ${reason}`.replace(/ +$/, "");
  return `${opHeader}\nnetwork ${origin}\naccount ${account} version ${v}\n${line}\n`;
}

/**
 * The key hash of a note signature (c2sp.org/signed-note, suite.keyHash):
 * the first four bytes, big-endian, of SHA-256(name || "\n" || type ||
 * public key), whatever the suite.
 */
export async function noteKeyHash(name, suite, publicKey) {
  const type = noteTypes[suite];
  if (!type) throw new Error(`identity operation: unknown suite ${JSON.stringify(suite)}`);
  const n = new TextEncoder().encode(name + "\n");
  const msg = new Uint8Array(n.length + type.length + publicKey.length);
  msg.set(n, 0);
  msg.set(type, n.length);
  msg.set(publicKey, n.length + type.length);
  const sum = new Uint8Array(await crypto.subtle.digest("SHA-256", msg));
  return new DataView(sum.buffer).getUint32(0, false);
}

/**
 * A signed note (note.Sign): text, an empty line, then one line
 * "— NAME BASE64(keyhash || signature)" per signer. signers are
 * {name, hash, sign(bytes) -> Promise<Uint8Array>}.
 */
export async function signNote(text, signers) {
  if (!text.endsWith("\n")) throw new Error("signed note: the text must end with a newline");
  const msg = new TextEncoder().encode(text);
  let sigs = "";
  for (const s of signers) {
    checkName("signer name", s.name);
    const sig = await s.sign(msg);
    const line = new Uint8Array(4 + sig.length);
    new DataView(line.buffer).setUint32(0, s.hash >>> 0, false);
    line.set(sig, 4);
    sigs += `\u2014 ${s.name} ${base64(line)}\n`;
  }
  return text + "\n" + sigs;
}

/**
 * The note signer of an account key, as identity.NewSigner makes it: named
 * by the account's id, the key hash of the suite's note type. key is a key
 * object of keys.js ({suite, publicKey, sign}).
 */
export async function accountSigner(accountId, key) {
  return { name: accountId, hash: await noteKeyHash(accountId, key.suite, key.publicKey), sign: (b) => key.sign(b) };
}

/**
 * A decision signed by the deciding account (signer: its id; key: its key
 * object), ready for POST /v1/identity as {"note": ...}. op is
 * {origin, account, version, action, reason}, version the target account's
 * current version.
 */
export async function signDecision(op, signer, key) {
  return signNote(decisionText(op), [await accountSigner(signer, key)]);
}
