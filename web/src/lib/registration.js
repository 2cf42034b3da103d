// A depositor's registration, made in the browser as `jurichain register`
// makes it (cmd/jurichain/account.go): the real-name data committed to
// with a random salt (identity.Commit over the data's canonical JSON), the
// identity operation "register" (identity.Op.Text) signed as a C2SP
// signed note by the key it registers (identity.NewSigner), and the body
// of POST /v1/registrations (api.RegistrationRequest). The node recomputes
// the commitment and checks the note's signature on the ledger, so every
// byte here is the Go code's.

import { base64, concat, hex, randomBytes, sha256, utf8 } from "./httpsig.js";
import { suiteHash, suites } from "./keys.js";
import { goJSON } from "./gojson.js";

const OP_HEADER = "jurichain identity operation";
const COMMITMENT_DOMAIN = "jurichain identity commitment v1\n";
const SALT_SIZE = 32;

// The signed-note signature type of each suite's account keys (suite's
// noteFormat): Ed25519's assigned 0x01, and for SM2 0xff followed by an
// identifier, as c2sp.org/signed-note reserves for unassigned types.
const noteTypes = {
  intl: new Uint8Array([0x01]),
  gm: concat(new Uint8Array([0xff]), utf8("jurichain/sm2-note/v1")),
};

/** The fields of each kind of depositor's real-name data (identity.RealName.Check). */
export const realNameFields = {
  individual: ["name", "id_type", "id_number"],
  enterprise: ["name", "credit_code", "legal_representative", "agent"],
};

// identity.RealName's fields in its struct order: the order json.Marshal
// writes them in.
const realNameOrder = ["name", "id_type", "id_number", "credit_code", "legal_representative", "agent"];

/**
 * The canonical encoding of real-name data (identity.RealName.Canonical):
 * json.Marshal of the struct, empty optional fields left out.
 */
export function canonicalRealName(rn) {
  const out = {};
  for (const f of realNameOrder) {
    const v = rn[f] ?? "";
    if (f === "name" || v !== "") out[f] = v;
  }
  return utf8(goJSON(out));
}

/** The id of the account whose first key is pub at institution (identity.AccountID). */
export async function accountId(suite, institution, pub) {
  const h = await suiteHash(suite, utf8("jurichain account\n" + institution + "\n"), pub);
  return "acct-" + hex(h.subarray(0, 10));
}

/** The commitment to real-name data with salt (identity.Commit). */
export function commitRealName(suite, salt, rn) {
  return suiteHash(suite, utf8(COMMITMENT_DOMAIN), salt, canonicalRealName(rn));
}

/** The text of a registration operation (identity.Op.Text for Register, version 0). */
export function registrationText({ origin, account, institution, kind, alg, publicKey, commitment }) {
  return (
    `${OP_HEADER}\nnetwork ${origin}\naccount ${account} version 0\n` +
    `register ${institution} depositor ${kind} ${alg} ${base64(publicKey)} ${hex(commitment)}\n`
  );
}

// The key ID of a signed-note key: the first four bytes of
// SHA-256(name || "\n" || type || public key), whatever the suite.
async function keyHash(name, type, pub) {
  return (await sha256(concat(utf8(name + "\n"), type, pub))).subarray(0, 4);
}

/**
 * Signs text as a C2SP signed note (golang.org/x/mod/sumdb/note.Sign) by
 * the account key, under the account's name.
 */
export async function signNote(text, { suite, name, key }) {
  const sig = await key.sign(utf8(text));
  const id = await keyHash(name, noteTypes[suite], key.publicKey);
  return `${text}\n\u2014 ${name} ${base64(concat(id, sig))}\n`;
}

/**
 * The body of POST /v1/registrations for a depositor of kind
 * ("individual" or "enterprise") with real-name data rn, registering key
 * at institution on the log origin, with an invitation code. Returns the
 * body and the id the account will have.
 */
export async function registration({ suite, origin, institution, kind, realName, invitation, key }) {
  const rn = {};
  for (const f of realNameFields[kind]) rn[f] = realName[f] ?? "";
  const salt = randomBytes(SALT_SIZE);
  const account = await accountId(suite, institution, key.publicKey);
  const commitment = await commitRealName(suite, salt, rn);
  const text = registrationText({
    origin,
    account,
    institution,
    kind,
    alg: suites[suite].signature,
    publicKey: key.publicKey,
    commitment,
  });
  const note = await signNote(text, { suite, name: account, key });
  return { account, request: { invitation, real_name: rn, salt: base64(salt), note } };
}
