// Trust policies (C2SP tlog-policy), as Go's package policy reads and
// applies them: the trust root a judge keeps, which alone decides whether
// a checkpoint counts.
import { binaryString, displayText, fromBase64, utf8Escaped, utf8Length, utf8Loose } from "./bytes.js";
import { cosignatureVerifier, noteVerifier, openNote, parseVerifierKey, suiteOfKey } from "./note.js";

/** The largest policy file Go reads. */
export const MAX_POLICY_SIZE = 64 << 10;

const RESERVED = new Set(["none", "log", "witness", "group", "quorum", "any", "all"]);

// Parsed policies keep their verifiers here rather than on the object the
// caller sees, which stays plain data (a page may show or store it).
const internals = new WeakMap();

/** PolicyError is a policy Go's policy.Parse refuses; line is the 1-based line, or 0. */
export class PolicyError extends Error {
  constructor(message, line = 0) {
    super(message);
    this.name = "PolicyError";
    this.line = line;
  }
}

const quote = (s) => JSON.stringify(s);

/**
 * Parses a tlog-policy file strictly, as Go's policy.Parse does: unknown
 * keywords, forward references, duplicate names or keys, bad thresholds
 * and keys of two suites are errors naming the line.
 *
 * Pass the file's bytes (a Uint8Array or ArrayBuffer, as Blob's
 * arrayBuffer gives them; see readPolicy), not Blob.text() or a default
 * TextDecoder: those drop a leading byte order mark and replace invalid
 * UTF-8, and so accept files Go refuses (a BOM makes the first keyword
 * unknown; a key name of invalid UTF-8 is malformed). The bytes are
 * decoded without loss (utf8Escaped), so invalid UTF-8 is refused
 * exactly where Go refuses it and accepted where Go accepts it (a
 * comment, a witness name, a URL). A string is taken as such decoded
 * text.
 *
 * Returns {suite, suiteTitle, origin, logs: [{name, key, url}],
 * witnesses: [{name, key, url}], groups: [{name, threshold, members}],
 * quorum, text}; names and URLs are for showing (an invalid byte shows
 * as U+FFFD), text is the decoded file, which parses again to the same
 * policy.
 */
export function parsePolicy(text) {
  if (text instanceof ArrayBuffer) text = new Uint8Array(text);
  if (typeof text !== "string" && !(text instanceof Uint8Array)) {
    throw new PolicyError("a policy is read as text: pass the policy file's contents as a string, Uint8Array or ArrayBuffer");
  }
  const size = typeof text === "string" ? utf8Length(text) : text.length;
  if (size > MAX_POLICY_SIZE) {
    throw new PolicyError(`policy is ${size} bytes, at most ${MAX_POLICY_SIZE}: this is not a trust policy file`);
  }
  if (typeof text !== "string") text = utf8Escaped(text);
  let suite = null;
  const logs = [];
  const witnesses = [];
  const groups = [];
  let quorum = "";
  const defined = new Set(["none"]);
  const keys = new Set();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fail = (msg) => new PolicyError(`policy line ${i + 1}: ${msg}`, i + 1);
    for (let j = 0; j < line.length; j++) {
      const c = line.charCodeAt(j);
      if (c !== 0x09 && (c < 0x20 || c === 0x7f)) throw fail(`control character 0x${c.toString(16)}`);
    }
    const fields = line.split(/[ \t]/).filter((f) => f !== "");
    if (fields.length === 0 || fields[0].startsWith("#")) continue;
    // keyOf checks a key as Go's keySuite, the suite's verifier
    // constructor and addKey do, in that order.
    const keyOf = (vkey, what) => {
      let cs;
      try {
        cs = suiteOfKey(vkey);
      } catch (e) {
        throw fail(`${what}: key ${quote(vkey)}: ${e.message}`);
      }
      if (suite === null) suite = cs;
      else if (cs !== suite) {
        throw fail(`${what}: key ${quote(vkey)} is of the ${cs.title} suite, the keys above of the ${suite.title} suite: a policy has one suite`);
      }
      let key;
      try {
        key = parseVerifierKey(cs, vkey);
      } catch (e) {
        throw fail(`${what}: ${e.message}`);
      }
      return key;
    };
    const addKey = (vkey, key) => {
      const k = Array.from(key.pub).join(",");
      if (keys.has(k)) throw fail(`key ${quote(vkey)} listed twice`);
      keys.add(k);
    };
    switch (fields[0]) {
      case "log": {
        if (fields.length < 2 || fields.length > 3) throw fail("want: log <vkey> [<url>]");
        const key = keyOf(fields[1], "log key");
        if (key.cosignature) throw fail(`log key: key ${key.name} is a cosignature key, not a note key`);
        addKey(fields[1], key);
        logs.push({ name: key.name, key: fields[1], url: fields[2] ?? "", verifier: noteVerifier(suite, key) });
        break;
      }
      case "witness": {
        if (fields.length < 3 || fields.length > 4) throw fail("want: witness <name> <vkey> [<url>]");
        if (defined.has(fields[1]) || RESERVED.has(fields[1])) throw fail(`name ${quote(fields[1])} already used`);
        const key = keyOf(fields[2], "witness key");
        addKey(fields[2], key);
        defined.add(fields[1]);
        witnesses.push({ name: fields[1], key: fields[2], url: fields[3] ?? "", verifier: cosignatureVerifier(suite, key) });
        break;
      }
      case "group": {
        if (fields.length < 4) throw fail("want: group <name> <all|any|k> <name>...");
        const g = { name: fields[1], threshold: 0, members: fields.slice(3) };
        if (defined.has(g.name) || RESERVED.has(g.name)) throw fail(`name ${quote(g.name)} already used`);
        const seen = new Set();
        for (const m of g.members) {
          if (m === "none" || !defined.has(m)) throw fail(`group member ${quote(m)} is not a witness or group defined above`);
          if (seen.has(m)) throw fail(`group member ${quote(m)} listed twice`);
          seen.add(m);
        }
        const k = fields[2];
        if (k === "all") g.threshold = g.members.length;
        else if (k === "any") g.threshold = 1;
        else if (/^[1-9][0-9]*$/.test(k) && Number(k) <= g.members.length) g.threshold = Number(k);
        else throw fail(`threshold ${quote(k)} must be all, any or 1..${g.members.length}`);
        defined.add(g.name);
        groups.push(g);
        break;
      }
      case "quorum":
        if (fields.length !== 2) throw fail("want: quorum <name>");
        if (quorum !== "") throw fail("second quorum line");
        if (!defined.has(fields[1])) throw fail(`quorum ${quote(fields[1])} is not a witness or group defined above`);
        quorum = fields[1];
        break;
      default:
        throw fail(`unknown keyword ${quote(fields[0])}`);
    }
  }
  if (quorum === "") throw new PolicyError("policy has no quorum line: a trust policy ends with one, such as 'quorum validators'");
  if (logs.length === 0) throw new PolicyError("policy lists no log: a trust policy names the log it trusts with a 'log' line");
  const policy = {
    suite: suite.name,
    suiteTitle: suite.title,
    origin: logs[0].name,
    logs: logs.map(({ name, key, url }) => ({ name, key, url: displayText(url) })),
    witnesses: witnesses.map(({ name, key, url }) => ({ name: displayText(name), key, url: displayText(url) })),
    groups: groups.map((g) => ({ name: displayText(g.name), threshold: g.threshold, members: g.members.map(displayText) })),
    quorum: displayText(quorum),
    text,
  };
  internals.set(policy, { suite, logs, witnesses, groups, quorum });
  return policy;
}

/**
 * Reads a policy file (a Blob: a File the user chose, or a response's
 * blob) as Go reads one: its size is checked before anything is read,
 * then its bytes are parsed (parsePolicy). Throws PolicyError, with
 * tooLarge set for a file over MAX_POLICY_SIZE.
 */
export async function readPolicy(blob) {
  if (blob.size > MAX_POLICY_SIZE) {
    const e = new PolicyError(`policy is ${blob.size} bytes, at most ${MAX_POLICY_SIZE}: this is not a trust policy file`);
    e.tooLarge = true;
    throw e;
  }
  return parsePolicy(new Uint8Array(await blob.arrayBuffer()));
}

/** The parsed internals of a policy parsePolicy returned, re-parsing a copy of one by its text. */
export function policyInternals(policy) {
  let p = internals.get(policy);
  if (!p) {
    if (typeof policy?.text !== "string") throw new Error("not a policy: read the policy file with parsePolicy");
    p = internals.get(parsePolicy(policy.text));
  }
  return p;
}

/** CheckpointError is a checkpoint refused under a policy; message as Go's policy.Verify words it. */
export class CheckpointError extends Error {}

/**
 * Checks a signed checkpoint note against the policy (Go's
 * policy.Verify). Returns {origin, size (BigInt), hash (bytes), text
 * (bytes), cosigners}; throws CheckpointError.
 */
export async function verifyCheckpoint(pol, checkpoint, verify) {
  const verifiers = [...pol.logs.map((l) => l.verifier), ...pol.witnesses.map((w) => w.verifier)];
  let note;
  try {
    note = await openNote(checkpoint, verifiers, verify);
  } catch (e) {
    throw new CheckpointError(`opening checkpoint: ${e.message}`);
  }
  const cp = parseCheckpoint(note.text);
  let signedByLog = false;
  const cosigned = new Set();
  const cosigners = [];
  for (const s of note.sigs) {
    for (const l of pol.logs) {
      if (s.name === l.verifier.name && s.hash === l.verifier.hash && l.verifier.name === cp.origin) signedByLog = true;
    }
    for (const w of pol.witnesses) {
      if (s.name === w.verifier.name && s.hash === w.verifier.hash && !cosigned.has(w.name)) {
        cosigned.add(w.name);
        cosigners.push(w.name);
      }
    }
  }
  if (!signedByLog) throw new CheckpointError(`checkpoint for origin ${quote(cp.origin)} is not signed by a log this policy trusts`);
  if (!satisfied(pol, cosigned)) {
    throw new CheckpointError(
      `checkpoint is not cosigned by the policy's quorum (${quote(pol.quorum)}): cosigned by ${cosigners.length} witness(es)`,
    );
  }
  return { ...cp, text: note.text, cosigners: cosigners.map(displayText) };
}

// satisfied reports whether the cosigners meet the policy's quorum. Each
// group is decided once, in file order: a group names only witnesses and
// groups defined above it (parsePolicy refuses forward references), so
// one pass decides them all, in time linear in the policy. Asking again
// about each member instead costs exponential time on groups that share
// members, which a hostile policy of a few lines arranges (a chain of
// pairs, each naming both of the pair before it).
function satisfied(pol, cosigned) {
  if (pol.quorum === "none") return true;
  const met = new Set(cosigned);
  for (const g of pol.groups) {
    let n = 0;
    for (const m of g.members) if (met.has(m)) n++;
    if (n >= g.threshold) met.add(g.name);
  }
  return met.has(pol.quorum);
}

// parseCheckpoint reads the checkpoint body (c2sp.org/tlog-checkpoint)
// as github.com/transparency-dev/formats/log does, refusing extension
// lines as Go's policy.Verify does.
function parseCheckpoint(text) {
  const parts = [];
  let rest = text;
  for (let k = 0; k < 3; k++) {
    const i = rest.indexOf(0x0a);
    if (i < 0) throw new CheckpointError("parsing checkpoint: invalid checkpoint - too few newlines");
    parts.push(rest.subarray(0, i));
    rest = rest.subarray(i + 1);
  }
  const origin = utf8Loose(parts[0]);
  if (origin === "") throw new CheckpointError("parsing checkpoint: invalid checkpoint - empty origin");
  const sizeText = binaryString(parts[1]);
  if (!/^[0-9]+$/.test(sizeText) || BigInt(sizeText) >= 1n << 64n) {
    throw new CheckpointError(`parsing checkpoint: invalid checkpoint - size invalid: ${quote(sizeText)}`);
  }
  const hash = fromBase64(utf8Loose(parts[2]));
  if (!hash) throw new CheckpointError("parsing checkpoint: invalid checkpoint - invalid hash");
  if (rest.length !== 0) throw new CheckpointError("parsing checkpoint: unexpected extension lines");
  return { origin, size: BigInt(sizeText), hash };
}
