// Ed25519 as the international suite uses it: keys refused as Go's
// suite.ed25519Scheme.CheckPublicKey refuses them, and signatures
// accepted exactly when ZIP-215 (Go's ed25519consensus) accepts them.
//
// WebCrypto checks the cofactorless RFC 8032 equation, which accepts a
// subset of what ZIP-215 accepts (every signature WebCrypto accepts for a
// key that passes checkPublicKey also satisfies the cofactored equation),
// so a WebCrypto "valid" is final and only a "not valid" or a browser
// without Ed25519 is settled by @noble/curves in ZIP-215 mode.
import { ed25519 } from "@noble/curves/ed25519.js";

/** The order of the Ed25519 base point; S must be below it. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const BAD_KEY = "unusable public key";

/**
 * Reports why pub cannot be anyone's Ed25519 key (Go's CheckPublicKey),
 * or null when it is a usable key.
 */
export function checkPublicKey(pub) {
  if (pub.length !== 32) return `${BAD_KEY}: ${pub.length} bytes, an ed25519 key has 32`;
  if (!canonicalY(pub)) return `${BAD_KEY}: not a canonical ed25519 encoding (y is not reduced modulo 2^255-19)`;
  let p;
  try {
    p = ed25519.Point.fromBytes(pub, true);
  } catch {
    return `${BAD_KEY}: not a point of the ed25519 curve`;
  }
  if (p.isSmallOrder()) return `${BAD_KEY}: an ed25519 point of small order, for which anyone can make signatures`;
  return null;
}

// canonicalY reports whether the y coordinate of an encoding (without the
// sign bit) is below p = 2^255-19, whose encoding is ed ff … ff 7f.
function canonicalY(enc) {
  if ((enc[31] & 0x7f) !== 0x7f || enc[0] < 0xed) return true;
  for (let i = 1; i < 31; i++) if (enc[i] !== 0xff) return true;
  return false;
}

// webcrypto is false once the browser has shown it has no Ed25519, so
// that later signatures go straight to the fallback.
let webcrypto = true;

async function webVerify(pub, msg, sig) {
  const subtle = globalThis.crypto?.subtle;
  if (!webcrypto || !subtle) return false;
  let key;
  try {
    key = await subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    if (e?.name === "NotSupportedError") webcrypto = false;
    return false;
  }
  try {
    return await subtle.verify({ name: "Ed25519" }, key, sig, msg);
  } catch {
    return false;
  }
}

/** Reports whether sig is a valid ZIP-215 signature of msg under pub. */
export async function verify(pub, msg, sig) {
  if (pub.length !== 32 || sig.length !== 64 || checkPublicKey(pub) !== null) return false;
  // ed25519consensus requires a canonical S; so does every WebCrypto, but
  // checking it here keeps a lax one from accepting a malleated signature.
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]);
  if (s >= L) return false;
  if (await webVerify(pub, msg, sig)) return true;
  try {
    return ed25519.verify(sig, msg, pub, { zip215: true });
  } catch {
    return false;
  }
}
