// The two crypto suites a Jurichain network chooses from at genesis, as
// far as a verifier needs them (Go's package suite).
import { ascii } from "./bytes.js";
import * as ed25519 from "./ed25519.js";
import { hashFunction } from "./hashers.js";
import * as sm2 from "./sm2.js";

const intl = {
  name: "intl",
  title: "international (SHA-256, Ed25519)",
  content: "sha256",
  second: "sm3",
  signature: "ed25519",
  // Signed-note signature types: c2sp.org/signed-note's Ed25519 (0x01)
  // and Ed25519 cosignature/v1 (0x04).
  noteType: new Uint8Array([0x01]),
  cosignatureType: new Uint8Array([0x04]),
  checkPublicKey: ed25519.checkPublicKey,
};

const gm = {
  name: "gm",
  title: "GM (SM3, SM2, SM4)",
  content: "sm3",
  second: "sha256",
  signature: "sm2",
  noteType: ascii("\xffjurichain/sm2-note/v1"),
  cosignatureType: ascii("\xffjurichain/sm2-cosignature/v1"),
  checkPublicKey: sm2.checkPublicKey,
};

/** Every suite, international first (Go's suite.All). */
export const suites = [intl, gm];

/** The suite named name ("intl", "gm"; "" is the international one), or null. */
export function suiteByName(name) {
  if (name === "" || name === "intl") return intl;
  if (name === "gm") return gm;
  return null;
}

/**
 * The suite's working parts, which need its hash compiled first: hash
 * (of the concatenation of its arguments) and verify(pub, msg, sig).
 */
export async function suiteTools(suite) {
  const hash = await hashFunction(suite.content);
  if (suite === gm) {
    return { hash, verify: async (pub, msg, sig) => sm2.verify(pub, msg, sig, hash) };
  }
  return { hash, verify: ed25519.verify };
}
