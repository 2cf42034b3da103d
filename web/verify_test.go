package web_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"filippo.io/edwards25519"
	"github.com/emmansun/gmsm/sm3"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/testonly"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/receipt/receipttest"
	"github.com/jurichain/jurichain/suite"
)

// vectorDir holds the vectors the JavaScript verifier is checked against.
const vectorDir = "testdata/verify"

// vectorFile is one file of vectors. Policies and receipts are shared by
// name, since many cases use the same one.
type vectorFile struct {
	Comment  string            `json:"comment"`
	Policies map[string]string `json:"policies"`
	// PoliciesBase64 holds the policies that are not UTF-8, which a JSON
	// string cannot carry byte for byte.
	PoliciesBase64 map[string]string      `json:"policies_base64,omitempty"`
	Receipts       map[string]receiptJSON `json:"receipts"`
	Cases          []vectorCase           `json:"cases"`
}

// policy is the text of the policy named name, and whether there is one.
func (f *vectorFile) policy(name string) (string, bool) {
	if text, ok := f.Policies[name]; ok {
		return text, true
	}
	b64, ok := f.PoliciesBase64[name]
	if !ok {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		panic(err)
	}
	return string(b), true
}

// receiptJSON is a .tlog-proof file: its text when that is UTF-8, as
// receipts are, else (a mangled one) base64.
type receiptJSON struct {
	Text   *string `json:"text,omitempty"`
	Base64 *string `json:"base64,omitempty"`
}

func (r receiptJSON) bytes() []byte {
	if r.Text != nil {
		return []byte(*r.Text)
	}
	b, err := base64.StdEncoding.DecodeString(*r.Base64)
	if err != nil {
		panic(err)
	}
	return b
}

// vectorCase is one verification: a policy, a receipt and the evidence
// beside it, and what Go's verifier made of them.
type vectorCase struct {
	Name   string `json:"name"`
	Policy string `json:"policy"`
	// Receipt names the .tlog-proof file in the file's receipts.
	Receipt string `json:"receipt"`
	// Digests are the file's digests, in the order they are compared;
	// absent skips the content check.
	Digests []digestJSON `json:"digests,omitempty"`
	// Opening is the text of the NAME.meta.json file; absent skips the
	// metadata check.
	Opening *string `json:"opening,omitempty"`
	Want    outcome `json:"want"`
}

type digestJSON struct {
	Algorithm string `json:"algorithm"`
	Hex       string `json:"hex"`
}

// outcome is what Go made of a case. Result is "verified", "check" (a
// check failed, named by Check), "policy" (policy.Parse refused the
// policy, on PolicyLine when it names one), "receipt" (receipt.Parse
// refused the file) or "opening" (encoding/json refused the opening).
type outcome struct {
	Result     string      `json:"result"`
	Check      string      `json:"check,omitempty"`
	PolicyLine int         `json:"policy_line,omitempty"`
	Error      string      `json:"error,omitempty"`
	Proven     *provenJSON `json:"proven,omitempty"`
}

// provenJSON is what a verified receipt establishes, as the JavaScript
// verifier must report it. Counts are decimal strings: JSON numbers lose
// uint64 precision.
type provenJSON struct {
	Suite          string            `json:"suite"`
	Origin         string            `json:"origin"`
	Index          string            `json:"index"`
	TreeSize       string            `json:"tree_size"`
	RootHash       string            `json:"root_hash"`
	Cosigners      []string          `json:"cosigners"`
	Time           string            `json:"time"`
	Digests        []digestJSON      `json:"digests"`
	Size           string            `json:"size"`
	Height         string            `json:"height"`
	DepositorKey   string            `json:"depositor_key"`
	IdempotencyKey string            `json:"idempotency_key"`
	DepositID      string            `json:"deposit_id"`
	ByNode         bool              `json:"by_node"`
	Metadata       *deposit.Metadata `json:"metadata,omitempty"`
}

var policyLine = regexp.MustCompile(`^policy line (\d+): `)

// goOutcome runs Go's reading and verification of a case, in the order
// `jurichain verify` runs them.
func goOutcome(policyText string, rb []byte, c *vectorCase) outcome {
	pol, err := policy.Parse([]byte(policyText))
	if err != nil {
		o := outcome{Result: "policy", Error: err.Error()}
		if m := policyLine.FindStringSubmatch(err.Error()); m != nil {
			o.PolicyLine, _ = strconv.Atoi(m[1])
		}
		return o
	}
	rc, err := receipt.Parse(rb)
	if err != nil {
		return outcome{Result: "receipt", Error: err.Error()}
	}
	var ev receipt.Evidence
	for _, d := range c.Digests {
		alg, err := deposit.ParseAlgorithm(d.Algorithm)
		if err != nil {
			panic(err)
		}
		v, err := hex.DecodeString(d.Hex)
		if err != nil {
			panic(err)
		}
		ev.Digests = append(ev.Digests, deposit.Digest{Algorithm: alg, Value: v})
	}
	if c.Opening != nil {
		var op deposit.Opening
		if err := json.Unmarshal([]byte(*c.Opening), &op); err != nil {
			return outcome{Result: "opening", Error: err.Error()}
		}
		ev.Opening = &op
	}
	p, err := receipt.Verify(pol, rc, ev)
	var ce *receipt.CheckError
	if errors.As(err, &ce) {
		return outcome{Result: "check", Check: string(ce.Check), Error: err.Error()}
	}
	if err != nil {
		panic(err) // Verify fails only with a CheckError
	}
	return outcome{Result: "verified", Proven: provenOf(pol, p)}
}

func provenOf(pol *policy.Policy, p *receipt.Proven) *provenJSON {
	l := p.Leaf
	out := &provenJSON{
		Suite:          p.Suite.Name(),
		Origin:         p.Origin(),
		Index:          strconv.FormatUint(l.Index, 10),
		TreeSize:       strconv.FormatUint(p.Checkpoint.Size, 10),
		RootHash:       hex.EncodeToString(p.Checkpoint.Hash),
		Cosigners:      append([]string{}, p.Cosigners...),
		Time:           p.CertifiedTime().UTC().Format(time.RFC3339Nano),
		Size:           strconv.FormatUint(l.Size, 10),
		Height:         strconv.FormatUint(l.Height, 10),
		DepositorKey:   hex.EncodeToString(l.Depositor),
		IdempotencyKey: l.IdempotencyKey,
		DepositID:      l.ID(p.Suite),
		Metadata:       p.Metadata,
	}
	for _, d := range l.Digests {
		out.Digests = append(out.Digests, digestJSON{d.Algorithm.String(), hex.EncodeToString(d.Value)})
	}
	for _, lg := range pol.Logs {
		if _, k, err := p.Suite.KeyOf(lg.VKey); err == nil && bytes.Equal(k, l.Depositor) {
			out.ByNode = true
		}
	}
	return out
}

// TestVerifyVectors checks the in-browser verifier (src/verify) against
// Go's receipt.Verify: every vector's recorded outcome must still be what
// Go's verifier makes of it, and the JavaScript verifier must make the
// same of it (run by node). With -update the vectors are made afresh from
// real logs of both suites.
func TestVerifyVectors(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range files {
		if filepath.Base(path) == hashVectorFile {
			continue
		}
		var f vectorFile
		readJSON(t, path, &f)
		for i := range f.Cases {
			c := &f.Cases[i]
			text, ok := f.policy(c.Policy)
			if !ok {
				t.Fatalf("%s: case %q names no policy %q", path, c.Name, c.Policy)
			}
			r, ok := f.Receipts[c.Receipt]
			if !ok {
				t.Fatalf("%s: case %q names no receipt %q", path, c.Name, c.Receipt)
			}
			got := goOutcome(text, r.bytes(), c)
			if !sameOutcome(got, c.Want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(c.Want)
				t.Errorf("%s: %s: Go now makes\n%s\nof it, the vector says\n%s\n(run go test ./web -run TestVerifyVectors -update)", path, c.Name, gj, wj)
			}
			n++
		}
	}
	if n < 200 {
		t.Fatalf("only %d vectors in %s (run go test ./web -run TestVerifyVectors -update)", n, vectorDir)
	}
	checkHashVector(t)
	// TestScriptsInNode runs the verifier on these vectors.
}

// sameOutcome compares outcomes as the vectors hold them: through JSON,
// which writes an invalid byte of a name (a policy's) as U+FFFD.
func sameOutcome(a, b outcome) bool {
	return bytes.Equal(viaJSON(a), viaJSON(b))
}

func viaJSON(o outcome) []byte {
	var back outcome
	if err := json.Unmarshal(mustJSON(o), &back); err != nil {
		panic(err)
	}
	return mustJSON(back)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./web -run TestVerifyVectors -update)", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// --- the file the hashBlob test checks --------------------------------------

const hashVectorFile = "hash.json"

// hashVector gives hashBlob's test a few MiB it can regenerate (a
// xorshift32 stream from Seed) and Go's digests of them.
type hashVector struct {
	Comment string            `json:"comment"`
	Size    int               `json:"size"`
	Seed    uint32            `json:"seed"`
	Digests map[string]string `json:"digests"`
}

// xorshiftBytes is the stream both sides generate: xorshift32 (13, 17,
// 5), one byte (the low one) per step.
func xorshiftBytes(seed uint32, n int) []byte {
	b := make([]byte, n)
	x := seed
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func makeHashVector() hashVector {
	v := hashVector{
		Comment: "Go's digests of the xorshift32 stream from seed, for the hashBlob test (src/verify/hash.test.mjs); written by go test ./web -run TestVerifyVectors -update",
		Size:    5<<20 + 12345,
		Seed:    0x9e3779b9,
	}
	data := xorshiftBytes(v.Seed, v.Size)
	s256, s512 := sha256Sum(data), sha512.Sum512(data)
	s3 := sm3.Sum(data)
	v.Digests = map[string]string{"sha256": hex.EncodeToString(s256), "sm3": hex.EncodeToString(s3[:]), "sha512": hex.EncodeToString(s512[:])}
	return v
}

func sha256Sum(b []byte) []byte {
	h := suite.International().NewHash()
	h.Write(b)
	return h.Sum(nil)
}

func checkHashVector(t *testing.T) {
	t.Helper()
	var got hashVector
	readJSON(t, filepath.Join(vectorDir, hashVectorFile), &got)
	want := makeHashVector()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s is not what Go computes (run go test ./web -run TestVerifyVectors -update)", hashVectorFile)
	}
}

// --- making the vectors ------------------------------------------------------

// vectors accumulates the cases of one file.
type vectors struct {
	file     vectorFile
	receipts map[string]string // receipt bytes to their name
}

func newVectors(comment string) *vectors {
	return &vectors{
		file:     vectorFile{Comment: comment, Policies: map[string]string{}, Receipts: map[string]receiptJSON{}},
		receipts: map[string]string{},
	}
}

// add records a case with Go's outcome.
func (v *vectors) add(name, pol string, policyText []byte, r []byte, digests []deposit.Digest, opening []byte) {
	if old, ok := v.file.policy(pol); ok && old != string(policyText) {
		panic("policy " + pol + " given twice with different texts")
	}
	if utf8.Valid(policyText) {
		v.file.Policies[pol] = string(policyText)
	} else {
		if v.file.PoliciesBase64 == nil {
			v.file.PoliciesBase64 = map[string]string{}
		}
		v.file.PoliciesBase64[pol] = base64.StdEncoding.EncodeToString(policyText)
	}
	id, ok := v.receipts[string(r)]
	if !ok {
		id = fmt.Sprintf("r%d", len(v.receipts))
		v.receipts[string(r)] = id
		if s := string(r); utf8.ValidString(s) {
			v.file.Receipts[id] = receiptJSON{Text: &s}
		} else {
			b := base64.StdEncoding.EncodeToString(r)
			v.file.Receipts[id] = receiptJSON{Base64: &b}
		}
	}
	c := vectorCase{Name: name, Policy: pol, Receipt: id}
	for _, d := range digests {
		c.Digests = append(c.Digests, digestJSON{d.Algorithm.String(), hex.EncodeToString(d.Value)})
	}
	if opening != nil {
		s := string(opening)
		c.Opening = &s
	}
	c.Want = goOutcome(string(policyText), r, &c)
	v.file.Cases = append(v.file.Cases, c)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func writeVectors(t *testing.T) {
	t.Helper()
	for _, cs := range suite.All() {
		v := newVectors(fmt.Sprintf("Receipts of a %s network and what Go's receipt.Verify makes of them, for the in-browser verifier's tests; written by go test ./web -run TestVerifyVectors -update", cs))
		fixtureCases(t, v, cs)
		edgeCases(t, v, cs)
		mutationCases(t, v, cs)
		writeJSON(t, filepath.Join(vectorDir, cs.Name()+".json"), v.file)
	}
	large := newVectors("One receipt of a 10,000-deposit log per suite, for benchmarks of the in-browser verifier; written by go test ./web -run TestVerifyVectors -update")
	for _, cs := range suite.All() {
		l := receipttest.New(t, cs, 10_000, -1)
		const i = 7777
		large.add(fmt.Sprintf("deposit %d of a 10000-deposit %s log", i, cs.Name()), cs.Name(), l.PolicyText, l.Receipts[i].Format(), l.Digests(t, l.Contents[i]), mustJSON(l.Openings[i]))
	}
	writeJSON(t, filepath.Join(vectorDir, "large.json"), large.file)
	writeJSON(t, filepath.Join(vectorDir, hashVectorFile), makeHashVector())
}

// otherSuite is the suite that is not cs.
func otherSuite(cs *suite.Suite) *suite.Suite {
	for _, o := range suite.All() {
		if o.Name() != cs.Name() {
			return o
		}
	}
	panic("one suite")
}

// fixtureCases are receipts of receipttest's log, genuine and tampered
// with in each way a receipt can be.
func fixtureCases(t *testing.T, v *vectors, cs *suite.Suite) {
	l := receipttest.New(t, cs, 5, -1)
	pol := l.PolicyText
	fmtR := func(r *receipt.Receipt) []byte { return r.Format() }
	clone := func(i int) *receipt.Receipt {
		r := *l.Receipts[i]
		r.Proof = nil
		for _, h := range l.Receipts[i].Proof {
			r.Proof = append(r.Proof, bytes.Clone(h))
		}
		r.Leaf = bytes.Clone(r.Leaf)
		r.Checkpoint = bytes.Clone(r.Checkpoint)
		return &r
	}
	ev := func(i int) ([]deposit.Digest, []byte) {
		e := l.Evidence(t, i)
		return e.Digests, mustJSON(e.Opening)
	}

	for i := range l.Receipts {
		d, o := ev(i)
		v.add(fmt.Sprintf("genuine deposit %d with file digests and opening", i), "genuine", pol, fmtR(l.Receipts[i]), d, o)
	}
	v.add("genuine, no evidence", "genuine", pol, fmtR(l.Receipts[3]), nil, nil)
	d3, o3 := ev(3)
	v.add("genuine, the suite's digest only", "genuine", pol, fmtR(l.Receipts[3]), d3[slices.IndexFunc(d3, func(d deposit.Digest) bool { return d.Algorithm.String() == cs.ContentDigest() }):][:1], nil)
	v.add("genuine, opening only", "genuine", pol, fmtR(l.Receipts[3]), nil, o3)

	// The proof.
	r := clone(2)
	r.Proof[0][3] ^= 1
	v.add("flipped proof hash", "genuine", pol, fmtR(r), nil, nil)
	r = clone(2)
	r.Proof[len(r.Proof)-1][31] ^= 0x80
	v.add("flipped last proof hash", "genuine", pol, fmtR(r), nil, nil)
	r = clone(2)
	r.Proof = r.Proof[:len(r.Proof)-1]
	v.add("proof hash missing", "genuine", pol, fmtR(r), nil, nil)
	r = clone(2)
	r.Proof = append(r.Proof, make([]byte, 32))
	v.add("proof hash added", "genuine", pol, fmtR(r), nil, nil)
	r = clone(2)
	r.Proof[0], r.Proof[1] = r.Proof[1], r.Proof[0]
	v.add("proof hashes swapped", "genuine", pol, fmtR(r), nil, nil)

	// The leaf, byte by byte at each field.
	leaf, err := deposit.ParseLeaf(l.Receipts[1].Leaf)
	if err != nil {
		t.Fatal(err)
	}
	for name, off := range leafOffsets(leaf, len(l.Receipts[1].Leaf)) {
		for _, bit := range []byte{0x01, 0x80} {
			r := clone(1)
			r.Leaf[off] ^= bit
			d, o := ev(1)
			v.add(fmt.Sprintf("leaf byte %d (%s) xor %#x", off, name, bit), "genuine", pol, fmtR(r), d, o)
		}
	}
	r = clone(1)
	r.Leaf = r.Leaf[:len(r.Leaf)-1]
	v.add("leaf cut short", "genuine", pol, fmtR(r), nil, nil)
	r = clone(1)
	r.Leaf = append(r.Leaf, 0)
	v.add("leaf with a trailing byte", "genuine", pol, fmtR(r), nil, nil)
	r = clone(1)
	r.Leaf = []byte{}
	v.add("empty leaf", "genuine", pol, fmtR(r), nil, nil)

	// The index.
	r = clone(1)
	r.Index = 2
	v.add("wrong index", "genuine", pol, fmtR(r), nil, nil)
	r = clone(1)
	r.Index = 1<<64 - 1
	v.add("index 2^64-1", "genuine", pol, fmtR(r), nil, nil)
	r = clone(1)
	leaf2 := *leaf
	leaf2.Index = 2
	r.Index, r.Leaf = 2, mustLeaf(&leaf2)
	v.add("index changed in leaf and receipt", "genuine", pol, fmtR(r), nil, nil)
	r = clone(4)
	r.Index = 5
	v.add("index beyond the tree", "genuine", pol, fmtR(r), nil, nil)

	// The checkpoint.
	r = clone(0)
	r.Checkpoint = corruptSignature(t, r.Checkpoint, 0)
	v.add("log signature corrupted", "genuine", pol, fmtR(r), nil, nil)
	r = clone(0)
	r.Checkpoint = corruptSignature(t, r.Checkpoint, 1)
	v.add("cosignature corrupted", "genuine", pol, fmtR(r), nil, nil)
	r = clone(0)
	r.Checkpoint = dropSignature(t, r.Checkpoint, 1)
	v.add("cosignature missing (quorum not met)", "genuine", pol, fmtR(r), nil, nil)
	r = clone(0)
	r.Checkpoint = dropSignature(t, r.Checkpoint, 0)
	v.add("log signature missing", "genuine", pol, fmtR(r), nil, nil)
	r = clone(0)
	r.Checkpoint = bytes.Replace(r.Checkpoint, []byte("\n5\n"), []byte("\n6\n"), 1)
	v.add("checkpoint size changed", "genuine", pol, fmtR(r), nil, nil)
	r = clone(0)
	r.Checkpoint = append(bytes.Clone(r.Checkpoint), r.Checkpoint[bytes.LastIndex(r.Checkpoint[:len(r.Checkpoint)-1], []byte("\n"))+1:]...)
	v.add("cosignature line repeated", "genuine", pol, fmtR(r), nil, nil)

	// Other policies.
	other := receipttest.New(t, otherSuite(cs), 1, -1)
	v.add("policy of the other suite", "other-suite", other.PolicyText, fmtR(l.Receipts[0]), nil, nil)
	another := receipttest.New(t, cs, 1, -1)
	v.add("policy of another network (other keys)", "other-network", another.PolicyText, fmtR(l.Receipts[0]), nil, nil)
	extra := witnessLine(t, cs, "notary")
	twoOfTwo := strings.Replace(string(pol), "group validators 1 court\n", extra+"group validators 2 court notary\n", 1)
	v.add("quorum not met (2 of court, notary)", "two-of-two", []byte(twoOfTwo), fmtR(l.Receipts[0]), nil, nil)
	anyOf := strings.Replace(string(pol), "group validators 1 court\n", extra+"group validators any notary court\n", 1)
	v.add("quorum met (any of notary, court)", "any-of-two", []byte(anyOf), fmtR(l.Receipts[0]), nil, nil)
	v.add("quorum none", "quorum-none", []byte(strings.Replace(string(pol), "quorum validators", "quorum none", 1)), fmtR(l.Receipts[0]), nil, nil)
	v.add("quorum the witness itself", "quorum-court", []byte(strings.Replace(string(pol), "quorum validators", "quorum court", 1)), fmtR(l.Receipts[0]), nil, nil)

	// The file.
	d, _ := ev(0)
	bad := slices.Clone(d)
	bad[0] = deposit.Digest{Algorithm: bad[0].Algorithm, Value: bytes.Clone(bad[0].Value)}
	bad[0].Value[7] ^= 1
	v.add("wrong file digest", "genuine", pol, fmtR(l.Receipts[0]), bad, nil)
	bad = slices.Clone(d)
	bad[1] = deposit.Digest{Algorithm: bad[1].Algorithm, Value: bytes.Clone(bad[1].Value)}
	bad[1].Value[31] ^= 1
	v.add("wrong second file digest", "genuine", pol, fmtR(l.Receipts[0]), bad, nil)
	v.add("digests of another file", "genuine", pol, fmtR(l.Receipts[0]), l.Digests(t, []byte("another file")), nil)
	v.add("a sha512 digest the deposit does not carry", "genuine", pol, fmtR(l.Receipts[0]), []deposit.Digest{{Algorithm: deposit.SHA512, Value: make([]byte, 64)}}, nil)

	// The opening.
	op := *l.Openings[0]
	v.add("opening of another deposit", "genuine", pol, fmtR(l.Receipts[0]), nil, mustJSON(l.Openings[1]))
	op.Title = "file 0 (edited)"
	v.add("opening with another title", "genuine", pol, fmtR(l.Receipts[0]), nil, mustJSON(&op))
	op = *l.Openings[0]
	op.Salt = bytes.Clone(op.Salt)
	op.Salt[0] ^= 1
	v.add("opening with another salt", "genuine", pol, fmtR(l.Receipts[0]), nil, mustJSON(&op))
	op = *l.Openings[0]
	op.Suite = otherSuite(cs).Name()
	v.add("opening of the other suite", "genuine", pol, fmtR(l.Receipts[0]), nil, mustJSON(&op))
	op.Suite = cs.Name()
	v.add("opening naming its suite", "genuine", pol, fmtR(l.Receipts[0]), nil, mustJSON(&op))
	op.Suite = "quantum"
	v.add("opening of an unknown suite", "genuine", pol, fmtR(l.Receipts[0]), nil, mustJSON(&op))
	op = *l.Openings[0]
	op.Salt = op.Salt[:31]
	v.add("opening with a short salt", "genuine", pol, fmtR(l.Receipts[0]), nil, mustJSON(&op))
	v.add("opening that is not JSON of an opening", "genuine", pol, fmtR(l.Receipts[0]), nil, []byte(`{"title": 7}`))

	// The file's form.
	good := string(fmtR(l.Receipts[1]))
	for _, m := range []struct{ name, text string }{
		{"non-canonical receipt: CRLF line ends", strings.ReplaceAll(good, "\n", "\r\n")},
		{"non-canonical receipt: a trailing newline", good + "\n"},
		{"non-canonical receipt: index with a leading zero", strings.Replace(good, "\nindex 1\n", "\nindex 01\n", 1)},
		{"non-canonical receipt: no extra line", regexp.MustCompile(`\nextra [^\n]*\n`).ReplaceAllString(good, "\n")},
		{"non-canonical receipt: no header", strings.TrimPrefix(good, "c2sp.org/tlog-proof@v1\n")},
		{"non-canonical receipt: extra without padding", regexp.MustCompile(`(\nextra [^\n=]*)=*\n`).ReplaceAllString(good, "$1\n")},
		{"non-canonical receipt: proof hash with nonzero padding bits", nonzeroPaddingBits(good)},
		{"non-canonical receipt: proof hash of 31 bytes", strings.Replace(good, "\n\n", "\n"+base64.StdEncoding.EncodeToString(make([]byte, 31))+"\n\n", 1)},
		{"non-canonical receipt: no blank line before the checkpoint", strings.Replace(good, "\n\n", "\n", 1)},
		{"non-canonical receipt: truncated", good[:len(good)/2]},
	} {
		v.add(m.name, "genuine", pol, []byte(m.text), nil, nil)
	}
}

// leafOffsets names one byte of each field of a leaf's encoding.
func leafOffsets(l *deposit.Leaf, n int) map[string]int {
	m := map[string]int{"version": 0, "digest count": 1, "first algorithm": 2, "first digest": 10}
	off := 2
	for _, d := range l.Digests {
		off += 1 + len(d.Value)
	}
	m["size"] = off + 7
	off += 8
	m["metadata commitment"] = off + 3
	off += 32
	m["depositor key length"] = off
	m["depositor key"] = off + 1 + len(l.Depositor)/2
	off += 1 + len(l.Depositor)
	m["idempotency key length"] = off
	m["idempotency key"] = off + 1
	off += 1 + len(l.IdempotencyKey)
	m["signature length"] = off
	m["signature"] = off + 9
	m["index"] = n - 17
	m["height"] = n - 9
	m["time"] = n - 1
	return m
}

func mustLeaf(l *deposit.Leaf) []byte {
	b, err := l.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

// sigLines splits a signed note into its text and signature lines.
func sigLines(t *testing.T, signed []byte) (text []byte, lines [][]byte) {
	t.Helper()
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 {
		t.Fatalf("not a signed note: %q", signed)
	}
	for _, l := range bytes.SplitAfter(signed[i+2:], []byte("\n")) {
		if len(l) > 0 {
			lines = append(lines, l)
		}
	}
	return signed[:i+2], lines
}

// corruptSignature flips a bit of the i-th signature of a signed note,
// past its key hash.
func corruptSignature(t *testing.T, signed []byte, i int) []byte {
	text, lines := sigLines(t, signed)
	l := string(lines[i])
	sp := strings.LastIndex(l, " ")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(l[sp+1:], "\n"))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)-3] ^= 1
	lines[i] = []byte(l[:sp+1] + base64.StdEncoding.EncodeToString(raw) + "\n")
	return append(bytes.Clone(text), bytes.Join(lines, nil)...)
}

func dropSignature(t *testing.T, signed []byte, i int) []byte {
	text, lines := sigLines(t, signed)
	lines = slices.Delete(lines, i, i+1)
	return append(bytes.Clone(text), bytes.Join(lines, nil)...)
}

// witnessLine is a policy line for a fresh witness of suite cs.
func witnessLine(t *testing.T, cs *suite.Suite, name string) string {
	_, vkey, err := cs.GenerateNoteKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := cs.CosignatureVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("witness %s %s\n", name, cv)
}

// nonzeroPaddingBits rewrites the first proof hash of a receipt with
// nonzero unused bits in its last base64 character, which Go's decoder
// accepts and its canonical-form check refuses.
func nonzeroPaddingBits(receiptText string) string {
	lines := strings.Split(receiptText, "\n")
	for i, l := range lines {
		if len(l) == 44 && strings.HasSuffix(l, "=") {
			c := l[42]
			alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
			j := strings.IndexByte(alphabet, c)
			lines[i] = l[:42] + string(alphabet[j^1]) + "="
			return strings.Join(lines, "\n")
		}
	}
	panic("no proof hash")
}

// --- a log built here, for what receipttest does not vary -------------------

// network is a log key and witnesses of one suite, which sign
// checkpoints of any text.
type network struct {
	cs        *suite.Suite
	origin    string
	logSigner note.Signer
	logVKey   string
	logKey    suite.PrivateKey
	witnesses []witness
}

type witness struct {
	name      string
	signer    note.Signer
	vkey      string // cosignature verifier key
	plainVKey string // the same key as a plain note verifier key
}

func newNetwork(t *testing.T, cs *suite.Suite, origin string, witnesses ...string) *network {
	t.Helper()
	skey, vkey, err := cs.GenerateNoteKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	n := &network{cs: cs, origin: origin, logVKey: vkey}
	if n.logSigner, err = cs.NewSigner(skey); err != nil {
		t.Fatal(err)
	}
	if _, n.logKey, err = cs.ParseNoteKey(skey); err != nil {
		t.Fatal(err)
	}
	// Cosignatures carry a fixed time, so that what they sign is the same
	// on every run.
	at := func() time.Time { return time.Unix(1_790_000_100, 0) }
	for _, name := range witnesses {
		wskey, wvkey, err := cs.GenerateNoteKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		w := witness{name: name, plainVKey: wvkey}
		if w.signer, err = cs.NewCosigner(wskey, at); err != nil {
			t.Fatal(err)
		}
		if w.vkey, err = cs.CosignatureVerifierKey(wvkey); err != nil {
			t.Fatal(err)
		}
		n.witnesses = append(n.witnesses, w)
	}
	return n
}

// policy is the network's policy with the given group and quorum lines.
func (n *network) policy(tail string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "log %s\n", n.logVKey)
	for _, w := range n.witnesses {
		fmt.Fprintf(&b, "witness %s %s\n", w.name, w.vkey)
	}
	b.WriteString(tail)
	return []byte(b.String())
}

// sign signs checkpoint text by the log and the witnesses at the given
// indexes, in that order.
func (n *network) sign(t *testing.T, text string, cosigners ...int) []byte {
	t.Helper()
	signers := []note.Signer{n.logSigner}
	for _, i := range cosigners {
		signers = append(signers, n.witnesses[i].signer)
	}
	b, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// entry is one deposit of a built log.
type entry struct {
	content []byte
	// digests default to both suites' digests of content.
	digests []deposit.Digest
	// opening defaults to a plain one; openingJSON, when set, is what the
	// opening is read from (and committed to, when Go can read it).
	openingJSON []byte
	time        time.Time
	// pub and sign default to a fresh key of the suite.
	pub  []byte
	sign func(msg []byte) []byte
}

// built is a log of entries: the leaves, their tree and the receipts
// under a checkpoint signed by the log and every witness.
type built struct {
	leaves   [][]byte
	tree     *testonly.Tree
	receipts []*receipt.Receipt
	openings [][]byte
	contents [][]byte
}

func (n *network) build(t *testing.T, entries []entry) *built {
	t.Helper()
	cs := n.cs
	b := &built{tree: testonly.New(cs.LogHasher())}
	for i, e := range entries {
		if e.content == nil {
			e.content = []byte(fmt.Sprintf("edge evidence %d", i))
		}
		if e.digests == nil {
			var err error
			e.digests, err = receipt.ContentDigests(bytes.NewReader(e.content), "sha256", "sm3")
			if err != nil {
				t.Fatal(err)
			}
		}
		op := &deposit.Opening{Metadata: deposit.Metadata{Title: fmt.Sprintf("edge %d", i), MediaType: "text/plain"}, Salt: bytes.Repeat([]byte{byte(i + 1)}, 32)}
		if e.openingJSON != nil {
			var o deposit.Opening
			if json.Unmarshal(e.openingJSON, &o) == nil {
				op = &o
			}
		} else {
			e.openingJSON = mustJSON(op)
		}
		if e.pub == nil {
			k, err := cs.Signature().GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			e.pub = k.Public()
			e.sign = func(m []byte) []byte {
				s, err := k.Sign(m)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		}
		if e.time.IsZero() {
			e.time = time.Unix(1_790_000_000, int64(i)*1_000_003)
		}
		s := deposit.Signed{Statement: deposit.Statement{
			Digests: e.digests, Size: uint64(len(e.content)), MetadataCommitment: op.Commitment(cs),
			Depositor: e.pub, IdempotencyKey: fmt.Sprintf("edge-%d", i),
		}}
		s.Signature = e.sign(s.SigningMessage(n.origin))
		lb := mustLeaf(&deposit.Leaf{Signed: s, Index: uint64(i), Height: uint64(100 + i), Time: e.time})
		b.leaves = append(b.leaves, lb)
		b.tree.AppendData(lb)
		b.openings = append(b.openings, e.openingJSON)
		b.contents = append(b.contents, e.content)
	}
	cp := n.checkpointText(b.tree)
	all := make([]int, len(n.witnesses))
	for i := range all {
		all[i] = i
	}
	b.receipts = n.receipts(t, b, n.sign(t, cp, all...))
	return b
}

func (n *network) checkpointText(tree *testonly.Tree) string {
	return string(log.Checkpoint{Origin: n.origin, Size: tree.Size(), Hash: tree.Hash()}.Marshal())
}

// receipts are the receipts of every leaf under a signed checkpoint.
func (n *network) receipts(t *testing.T, b *built, signed []byte) []*receipt.Receipt {
	t.Helper()
	var out []*receipt.Receipt
	for i, lb := range b.leaves {
		p, err := b.tree.InclusionProof(uint64(i), b.tree.Size())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &receipt.Receipt{Index: uint64(i), Proof: p, Checkpoint: signed, Leaf: lb})
	}
	return out
}

// edgeCases vary what receipttest keeps fixed: metadata, times, digests,
// depositor keys and signatures, checkpoint forms and policies.
func edgeCases(t *testing.T, v *vectors, cs *suite.Suite) {
	n := newNetwork(t, cs, "edge.example/log", "court", "notary", "arbiter")
	polText := n.policy("group validators 2 court notary arbiter\nquorum validators\n")
	const pol = "edge"

	// Openings: one deposit each, checked with its own opening.
	var entries []entry
	for _, o := range openingTexts() {
		entries = append(entries, entry{openingJSON: []byte(o)})
	}
	b := n.build(t, entries)
	for i, r := range b.receipts {
		v.add("opening "+string(b.openings[i]), pol, polText, r.Format(), nil, b.openings[i])
	}

	// Times, digests and keys.
	times := []time.Time{
		time.Unix(0, 0), time.Unix(1_790_000_000, 123456789), time.Unix(1_790_000_000, 100_000_000),
		time.Unix(1_790_000_000, 1), time.Unix(-1, 999_999_999), time.Unix(-5_000_000_000, 5),
		time.Date(1677, 9, 21, 0, 12, 43, 145224192, time.UTC), time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999_999_999, time.UTC),
	}
	entries = nil
	for _, tm := range times {
		entries = append(entries, entry{time: tm})
	}
	suiteDigest := func(content []byte, algs ...string) []deposit.Digest {
		ds, err := receipt.ContentDigests(bytes.NewReader(content), algs...)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(ds, func(a, b deposit.Digest) int { return int(a.Algorithm) - int(b.Algorithm) })
		return ds
	}
	c := []byte("digest variants")
	sha512d := sha512.Sum512(c)
	entries = append(entries,
		entry{content: c, digests: suiteDigest(c, cs.ContentDigest())},
		entry{content: c, digests: append(suiteDigest(c, "sha256", "sm3"), deposit.Digest{Algorithm: deposit.SHA512, Value: sha512d[:]})},
		entry{content: c, digests: suiteDigest(c, otherSuite(cs).ContentDigest())},
	)
	first := len(entries)
	entries = append(entries, keyEntries(t, cs, n)...)
	b = n.build(t, entries)
	for i := range times {
		v.add(fmt.Sprintf("certified at %s", times[i].UTC().Format(time.RFC3339Nano)), pol, polText, b.receipts[i].Format(), nil, nil)
	}
	base := len(times)
	both := suiteDigest(c, "sha256", "sm3")
	v.add("a deposit with the suite's digest only, checked with it", pol, polText, b.receipts[base].Format(), suiteDigest(c, cs.ContentDigest()), nil)
	v.add("a deposit with the suite's digest only, checked with both", pol, polText, b.receipts[base].Format(), both, nil)
	v.add("a deposit with three digests, checked with sha512 too", pol, polText, b.receipts[base+1].Format(), append(slices.Clone(both), deposit.Digest{Algorithm: deposit.SHA512, Value: sha512d[:]}), nil)
	v.add("a deposit with the other suite's digest only", pol, polText, b.receipts[base+2].Format(), nil, nil)
	for i, name := range keyEntryNames(cs) {
		v.add(name, pol, polText, b.receipts[first+i].Format(), nil, nil)
	}

	// Checkpoints of unusual form and signatures.
	b = n.build(t, []entry{{}, {}, {}, {}, {}})
	good := n.checkpointText(b.tree)
	lines := strings.SplitN(good, "\n", 4)
	signedWith := func(name, text string, cosigners ...int) {
		v.add(name, pol, polText, n.receipts(t, b, n.sign(t, text, cosigners...))[3].Format(), nil, nil)
	}
	signedWith("checkpoint cosigned by court, notary, arbiter", good, 0, 1, 2)
	signedWith("checkpoint cosigned by arbiter, court", good, 2, 0)
	signedWith("checkpoint cosigned by notary only (quorum not met)", good, 1)
	signedWith("checkpoint without cosignatures", good)
	signedWith("checkpoint size with leading zeros", lines[0]+"\n000"+lines[1]+"\n"+lines[2]+"\n", 0, 1)
	signedWith("checkpoint hash with nonzero padding bits", lines[0]+"\n"+lines[1]+"\n"+flipPaddingBit(lines[2])+"\n", 0, 1)
	signedWith("checkpoint with an extension line", good+"extension\n", 0, 1)
	signedWith("checkpoint of another origin", "other.example/log\n"+lines[1]+"\n"+lines[2]+"\n", 0, 1)
	signedWith("checkpoint with a short hash", lines[0]+"\n"+lines[1]+"\n"+base64.StdEncoding.EncodeToString(make([]byte, 31))+"\n", 0, 1)
	signedWith("checkpoint with a bad size", lines[0]+"\n+5\n"+lines[2]+"\n", 0, 1)
	signedWith("checkpoint with a size of 2^64", lines[0]+"\n18446744073709551616\n"+lines[2]+"\n", 0, 1)
	signedWith("checkpoint with a bad hash", lines[0]+"\n"+lines[1]+"\nnot base64!\n", 0, 1)
	signedWith("checkpoint of two lines", lines[0]+"\n"+lines[1]+"\n")

	full := n.sign(t, good, 0, 1)
	withLines := func(name string, edit func(text []byte, lines [][]byte) []byte) {
		text, sl := sigLines(t, full)
		v.add(name, pol, polText, n.receipts(t, b, edit(bytes.Clone(text), sl))[2].Format(), nil, nil)
	}
	stranger := newNetwork(t, cs, "stranger.example/log", "court")
	_, strangerLines := sigLines(t, stranger.sign(t, good, 0))
	withLines("checkpoint with an unknown key's signatures", func(text []byte, sl [][]byte) []byte {
		return append(text, bytes.Join(append(sl, strangerLines...), nil)...)
	})
	withLines("checkpoint with an unknown key's signature first", func(text []byte, sl [][]byte) []byte {
		return append(text, bytes.Join(append(slices.Clone(strangerLines), sl...), nil)...)
	})
	withLines("checkpoint with a signature line repeated", func(text []byte, sl [][]byte) []byte {
		return append(text, bytes.Join(append(sl, sl[0]), nil)...)
	})
	withLines("checkpoint with 101 signature lines", func(text []byte, sl [][]byte) []byte {
		for len(sl) < 101 {
			sl = append(sl, strangerLines[0])
		}
		return append(text, bytes.Join(sl, nil)...)
	})
	withLines("checkpoint with a malformed signature line", func(text []byte, sl [][]byte) []byte {
		return append(text, bytes.Join(append(sl, []byte("— court\n")), nil)...)
	})
	withLines("checkpoint with a signature line not starting with a dash", func(text []byte, sl [][]byte) []byte {
		return append(text, bytes.Join(append(sl, bytes.Replace(sl[0], []byte("— "), []byte("- "), 1)), nil)...)
	})
	withLines("checkpoint with a corrupted cosignature after a malformed line", func(text []byte, sl [][]byte) []byte {
		bad := corruptSignature(t, append(bytes.Clone(text), bytes.Join(sl, nil)...), 1)
		return append(bad, []byte("garbage\n")...)
	})
	withLines("checkpoint with a cosignature of another time", func(text []byte, sl [][]byte) []byte {
		l := string(sl[1])
		sp := strings.LastIndex(l, " ")
		raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(l[sp+1:]))
		binary.BigEndian.PutUint64(raw[4:], binary.BigEndian.Uint64(raw[4:])+1)
		sl[1] = []byte(l[:sp+1] + base64.StdEncoding.EncodeToString(raw) + "\n")
		return append(text, bytes.Join(sl, nil)...)
	})
	withLines("checkpoint with a control character", func(text []byte, sl [][]byte) []byte {
		return append(append(text[:len(text)-1], "\x01\n"...), bytes.Join(sl, nil)...)
	})
	withLines("checkpoint with invalid UTF-8", func(text []byte, sl [][]byte) []byte {
		return append(append(text[:len(text)-1], "\xff\n"...), bytes.Join(sl, nil)...)
	})
	withLines("checkpoint without signatures", func(text []byte, sl [][]byte) []byte { return text })

	// Policies of unusual form, with a genuine receipt.
	r := b.receipts[1].Format()
	for i, p := range policyVariants(n) {
		v.add(fmt.Sprintf("policy variant %d: %q", i, p), fmt.Sprintf("variant-%d", i), []byte(p), r, nil, nil)
	}
	for _, p := range policyEncodings(n) {
		v.add("policy encoding: "+p.name, "encoding-"+strings.ReplaceAll(p.name, " ", "-"), []byte(p.text), r, nil, nil)
	}

	// Groups chained two by two, each naming both of the pair before it:
	// deciding a group by asking again about its members costs 2^depth.
	// Decided once each, in file order, they take no time; the quorum is
	// met with court and notary, not with court alone.
	courtOnly := n.receipts(t, b, n.sign(t, good, 0))[1].Format()
	for _, depth := range []int{chainDepth} {
		p := n.policy(chainedGroups(depth))
		name := fmt.Sprintf("chain-%d", depth)
		v.add(fmt.Sprintf("groups chained %d deep, cosigned by all", depth), name, p, r, nil, nil)
		v.add(fmt.Sprintf("groups chained %d deep, cosigned by court only", depth), name, p, courtOnly, nil, nil)
	}
}

// chainDepth is the depth of the chained groups' vectors: 2^60 steps
// for a verifier that decides a group by asking about its members again.
const chainDepth = 60

// chainedGroups is the tail of a policy (its groups and quorum) with two
// chains of groups, a_i and b_i each needing both a_(i-1) and b_(i-1),
// from a0 (court) and b0 (notary) up to the quorum a_depth.
func chainedGroups(depth int) string {
	var b strings.Builder
	b.WriteString("group a0 any court\ngroup b0 any notary\n")
	for i := 1; i <= depth; i++ {
		fmt.Fprintf(&b, "group a%d all a%d b%d\ngroup b%d all a%d b%d\n", i, i-1, i-1, i, i-1, i-1)
	}
	fmt.Fprintf(&b, "quorum a%d\n", depth)
	return b.String()
}

// renameCourt renames the witness court of an edge policy (not its key).
func renameCourt(policy, name string) string {
	policy = strings.Replace(policy, "witness court ", "witness "+name+" ", 1)
	return strings.Replace(policy, " 2 court ", " 2 "+name+" ", 1)
}

// policyEncodings are policies of the edge network as files saved by
// other tools may hold them: a byte order mark, invalid UTF-8 (a GBK
// comment, a Latin-1 name, an encoded surrogate). Go refuses a BOM (it
// is part of the first keyword) and invalid UTF-8 in a key's name (not a
// valid name), and takes invalid UTF-8 elsewhere as the bytes it is.
func policyEncodings(n *network) []struct{ name, text string } {
	tail := "group validators 2 court notary arbiter\nquorum validators\n"
	plain := string(n.policy(tail))
	logLine := "log " + n.logVKey + "\n"
	rest := strings.TrimPrefix(plain, logLine)
	court := n.witnesses[0].vkey
	badName := func(vkey, name, bad string) string { return bad + strings.TrimPrefix(vkey, name) }
	return []struct{ name, text string }{
		{"byte order mark", "\ufeff" + plain},
		{"byte order mark before a comment", "\ufeff# suite " + n.cs.Name() + "\n" + plain},
		{"byte order mark on a later line", logLine + "\ufeff" + rest},
		{"GBK comment", "# \xb7\xa8\xd4\xba\n" + plain},
		{"invalid UTF-8 in a URL", "log " + n.logVKey + " https://example.com/\xff\n" + rest},
		{"invalid UTF-8 in the log key's name", "log " + badName(n.logVKey, "edge.example/log", "edge.example/l\xffg") + "\n" + rest},
		{"invalid UTF-8 in a witness key's name", strings.Replace(plain, court, badName(court, "court", "c\xe9ourt"), 1)},
		{"encoded surrogate in a witness key's name", strings.Replace(plain, court, badName(court, "court", "c\xed\xa0\x80ourt"), 1)},
		{"encoded surrogate in a comment", "# \xed\xa0\x80\n" + plain},
		{"Latin-1 witness name", renameCourt(plain, "c\xf4urt")},
		{"Latin-1 group name", strings.ReplaceAll(plain, "validators", "t\xe9moins")},
		{"valid UTF-8 names", strings.ReplaceAll(renameCourt(plain, "法院"), "validators", "验证者")},
	}
}

func flipPaddingBit(b64 string) string {
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	j := strings.IndexByte(alphabet, b64[42])
	return b64[:42] + string(alphabet[j^1]) + b64[43:]
}

// openingTexts are openings as NAME.meta.json files may hold them, each
// committed to by its own deposit: well formed or not by Go's rules, and
// spelled as Go's JSON reader reads them.
func openingTexts() []string {
	salt := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))
	op := func(fields string) string { return `{"salt":"` + salt + `",` + fields + `}` }
	capture := func(c string) string { return op(`"title":"t","media_type":"image/jpeg","capture":{` + c + `}`) }
	media := func(mt string) string { return op(`"title":"t","media_type":` + strconv.Quote(mt)) }
	ctime := func(s string) string { return capture(`"time":` + strconv.Quote(s)) }
	curl := func(s string) string { return capture(`"source_url":` + strconv.Quote(s)) }
	out := []string{
		op(`"title":"现场照片 scene photo","media_type":"image/jpeg","case_ref":"(2026)京0491民初123号","capture":{"time":"2026-05-01T09:30:00+08:00","latitude":39.9042,"longitude":116.4074,"device":"Pixel 9","source_url":"https://example.com/a?b=c","address":"北京市海淀区中关村大街1号"}`),
		op(`"title":"t","media_type":"text/plain","suite":"intl"`),
		op(`"title":"","media_type":"text/plain"`),
		op(`"title":"` + strings.Repeat("好", 341) + `x","media_type":"text/plain"`),
		op(`"title":"` + strings.Repeat("好", 342) + `","media_type":"text/plain"`),
		op(`"title":"a\u0000b\u202ec","media_type":"text/plain"`),
		op(`"title":"lone \ud800 surrogate","media_type":"text/plain"`),
		op(`"Title":"case-insensitive keys","MEDIA_TYPE":"text/plain","Case_Ref":"x"`),
		op(`"title":"first","title":"second","media_type":"text/plain"`),
		op(`"title":"kelvin","media_type":"text/plain","\u212aase_ref":"no"`),
		op(`"title":"long s","media_type":"text/plain","\u017fuite":"gm"`),
		op(`"title":"dotless","media_type":"text/plain","t\u0131tle":"not a field"`),
		op(`"title":"unknown field","media_type":"text/plain","colour":"red"`),
		op(`"title":null,"media_type":"text/plain"`),
		op(`"title":"t","media_type":"text/plain","capture":null`),
		`{"salt":"` + salt[:40] + "\\n" + salt[40:] + `","title":"salt with a newline","media_type":"text/plain"}`,
		`{"salt":"` + salt[:42] + `Z=","title":"salt with nonzero padding bits","media_type":"text/plain"}`,
		`{"salt":[` + strings.TrimSuffix(strings.Repeat("90,", 32), ",") + `],"title":"salt as an array","media_type":"text/plain"}`,
		`{"salt":"` + salt + `==","title":"salt with too much padding","media_type":"text/plain"}`,
		`{"title":"no salt","media_type":"text/plain"}`,
		`{"salt":null,"title":"null salt","media_type":"text/plain"}`,
		`null`,
		`[]`,
		`"an opening"`,
		op(`"title":5,"media_type":"text/plain"`),
		op(`"title":"t","media_type":"text/plain","capture":{"latitude":"39"}`),
		op(`"title":"t","media_type":"text/plain","capture":[]`),
		media("text/plain; charset=utf-8"), media("TEXT/Plain"), media(" image/png "), media("image/png;"),
		media("image/png; ;"), media("image"), media("image/"), media("/png"), media("image/png/x"),
		media("image/png; q"), media("image/png; q="), media(`image/png; q=""`), media(`image/png; q="a\"b"`),
		media(`image/png; q="unterminated`), media("image/png; a=1; a=1"), media("image/png; a=1; A=2"),
		media("image/png; a*=1; a*=2"), media("image/png; a*0=x; a*1=y"), media("\u0130mage/png"),
		media("ima ge/png"), media("image/png\u00a0"), media("image/png\u2003; x=y"), media("image/png ; x=y"),
		media("image/(png)"), media("application/vnd.ms-excel+xml"), media("x/y;z"),
		ctime("2026-05-01T09:30:00Z"), ctime("2026-05-01T09:30:00.123456789+08:00"), ctime("2026-05-01T09:30:00.1234567891Z"),
		ctime("2026-05-01T9:30:00Z"), ctime("2026-05-01T09:30:00,5Z"), ctime("2026-05-01T09:30:00+24:00"),
		ctime("2026-05-01T09:30:00+23:60"), ctime("2026-05-01T09:30:00+25:00"), ctime("2026-05-01T24:00:00Z"),
		ctime("2026-05-01T09:60:00Z"), ctime("2026-05-01T09:30:60Z"), ctime("2026-02-29T09:30:00Z"),
		ctime("2024-02-29T09:30:00Z"), ctime("2026-04-31T09:30:00Z"), ctime("2026-13-01T09:30:00Z"),
		ctime("2026-05-01t09:30:00z"), ctime("2026-05-01T09:30:00"), ctime("2026-05-01 09:30:00Z"),
		ctime("0000-01-01T00:00:00Z"), ctime("2026-05-01T09:30:00.Z"), ctime("2026-05-01T09:30:00+0800"),
		ctime("2026-05-01T09:30:00-08:00x"), ctime("2026-5-01T09:30:00Z"), ctime("2026-05-01T09:30:00Z "),
		ctime("2026-05-01T09:30:00+08:0"), ctime("２026-05-01T09:30:00Z"),
		capture(`"latitude":39.9042,"longitude":116.4074`), capture(`"latitude":-90,"longitude":180`),
		capture(`"latitude":90.0000001,"longitude":0`), capture(`"latitude":0,"longitude":-180.5`),
		capture(`"latitude":1e-05,"longitude":-0.0001`), capture(`"latitude":-0,"longitude":0.1`),
		capture(`"latitude":1.5e-7,"longitude":123.456789012345678`), capture(`"latitude":1}` + `,"x":{"y":1`),
		capture(`"latitude":33.333333333333336,"longitude":100}` + `,"z":{"a":1`), capture(`"longitude":5`),
		capture(`"latitude":null,"longitude":null`), capture(`"device":"` + strings.Repeat("d", 257) + `"`),
		capture(`"address":""`), capture(`"address":"` + strings.Repeat("路", 67) + `"`),
		curl("https://example.com/a?b=c#d"), curl("example.com/a"), curl("https:///a"), curl("mailto:a@example.com"),
		curl("https://user:pass@example.com/"), curl("https://us er@example.com/"), curl("https://a%zz.example.com/"),
		curl("https://%41.example.com/"), curl("https://%c3%a9.example.com/"), curl("https://[::1]:8080/x"),
		curl("https://[::1%25en0]/"), curl("https://[1.2.3.4]/"), curl("https://[::ffff:1.2.3.4]/"), curl("https://[fe80::1/"),
		curl("https://[::1]x/"), curl("https://a[::1]/"), curl("https://example.com:80:90/"), curl("ftp://a:1,b:2/"),
		curl("ftp://a:1,b:x/"), curl("https://example.com:8x/"), curl("https://例子.测试/路径"), curl("https://example.com/%zz"),
		curl("https://example.com/#%zz"), curl("https://example.com/a b"), curl("https://exa mple.com/"), curl("https://exa\\mple.com/"),
		curl("HTTPS://EXAMPLE.COM"), curl("1https://example.com/"), curl(":https://example.com/"), curl("https://@/"),
		curl("https://:80/"), curl("https://[::1%25]/"), curl("https://[1::2::3]/"), curl("https://[12345::]/"),
		curl("https://[::1.2.3.04]/"), curl("https://[1:2:3:4:5:6:1.2.3.4]/"), curl("https://[1:2:3:4:5:6:7:1.2.3.4]/"),
		curl("https://[::]/"), curl("https://[1:2:3:4:5:6:7:8]/"), curl("https://[1:2:3:4:5:6:7::8]/"), curl("https://[%3a%3a1]/"),
		curl("https://[::1%25%41]/"), curl("https://[::1%25%00]/"), curl("https://example.com?"), curl("s3://bucket/key"),
		curl("https://a@b@example.com/"), curl("https://ex%2fample.com/"), curl("a:b"), curl("*"),
	}
	return out
}

// keyEntryNames names the entries keyEntries makes, in order.
func keyEntryNames(cs *suite.Suite) []string {
	names := []string{
		"depositor key of the other suite",
		"depositor key that is the log's key",
		"depositor signature corrupted",
		"depositor signature of another origin",
	}
	if cs.Name() == suite.NameInternational {
		return append(names,
			"ed25519 signature valid only with the cofactor (ZIP-215)",
			"ed25519 key of small order",
			"ed25519 key with y not reduced",
			"ed25519 key that is not a point",
			"ed25519 signature with S not reduced",
		)
	}
	return append(names,
		"sm2 key that is the negated base point",
		"sm2 key that is not a point",
		"sm2 key of 64 bytes",
		"sm2 signature with a non-minimal integer",
		"sm2 signature with r = n",
		"sm2 signature with s = 0",
		"sm2 signature with trailing bytes",
		"sm2 signature in a long-form length",
		"sm2 signature with a negative integer",
	)
}

// keyEntries are deposits whose depositor keys or signatures are unusual;
// keyEntryNames names them.
func keyEntries(t *testing.T, cs *suite.Suite, n *network) []entry {
	t.Helper()
	fresh := func() (suite.PrivateKey, func([]byte) []byte) {
		k, err := cs.Signature().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k, func(m []byte) []byte {
			s, err := k.Sign(m)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	ok, err := otherSuite(cs).Signature().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k1, sign1 := fresh()
	k2, sign2 := fresh()
	out := []entry{
		{pub: ok.Public(), sign: func(m []byte) []byte { s, _ := ok.Sign(m); return s }},
		{pub: n.logKey.Public(), sign: func(m []byte) []byte { s, _ := n.logKey.Sign(m); return s }},
		{pub: k1.Public(), sign: func(m []byte) []byte { s := sign1(m); s[len(s)/2] ^= 4; return s }},
		{pub: k2.Public(), sign: func(m []byte) []byte {
			return sign2(bytes.Replace(m, []byte(n.origin), []byte("other.example/log"), 1))
		}},
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		rand.Read(b)
		return b
	}
	if cs.Name() == suite.NameInternational {
		pub, sign := torsionKey(t)
		smallOrder, _ := hex.DecodeString("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
		notReduced, _ := hex.DecodeString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
		notPoint := notAPoint(t)
		k3, sign3 := fresh()
		return append(out,
			entry{pub: pub, sign: sign},
			entry{pub: smallOrder, sign: func([]byte) []byte { return random(64) }},
			entry{pub: notReduced, sign: func([]byte) []byte { return random(64) }},
			entry{pub: notPoint, sign: func([]byte) []byte { return random(64) }},
			entry{pub: k3.Public(), sign: func(m []byte) []byte { return addOrderToS(sign3(m)) }},
		)
	}
	negG := sm2NegG()
	badPoint := append([]byte{4}, random(64)...)
	k3, sign3 := fresh()
	k4, sign4 := fresh()
	k5, sign5 := fresh()
	k6, sign6 := fresh()
	k7, sign7 := fresh()
	k8, sign8 := fresh()
	return append(out,
		entry{pub: negG, sign: func([]byte) []byte { return random(70) }},
		entry{pub: badPoint, sign: func([]byte) []byte { return random(70) }},
		entry{pub: badPoint[1:], sign: func([]byte) []byte { return random(70) }},
		entry{pub: k3.Public(), sign: func(m []byte) []byte { return nonMinimalDER(t, sign3(m)) }},
		entry{pub: k4.Public(), sign: func(m []byte) []byte { sign4(m); return derSig(append([]byte{0}, sm2N()...), []byte{1}) }},
		entry{pub: k5.Public(), sign: func(m []byte) []byte { r, _ := derParts(t, sign5(m)); return derSig(r, []byte{0}) }},
		entry{pub: k6.Public(), sign: func(m []byte) []byte { s := sign6(m); s[1] += 2; return append(s, 0, 0) }},
		entry{pub: k7.Public(), sign: func(m []byte) []byte { s := sign7(m); return append([]byte{0x30, 0x81, s[1]}, s[2:]...) }},
		entry{pub: k8.Public(), sign: func(m []byte) []byte { r, s := derParts(t, sign8(m)); return derSig(r, append([]byte{0x80}, s[1:]...)) }},
	)
}

// torsionKey is an Ed25519 key A = a·B + T with T of order 8 and a signer
// whose signatures hold under the cofactored equation (ZIP-215, Go's
// verifier) but not the cofactorless one (RFC 8032, WebCrypto).
func torsionKey(t *testing.T) ([]byte, func([]byte) []byte) {
	t.Helper()
	tb, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	T, err := new(edwards25519.Point).SetBytes(tb)
	if err != nil {
		t.Fatal(err)
	}
	four := new(edwards25519.Point).Add(T, T)
	four.Add(four, four)
	if new(edwards25519.Point).MultByCofactor(T).Equal(edwards25519.NewIdentityPoint()) != 1 || four.Equal(edwards25519.NewIdentityPoint()) == 1 {
		t.Fatal("not a point of order 8")
	}
	seed := make([]byte, 64)
	rand.Read(seed)
	a, _ := new(edwards25519.Scalar).SetUniformBytes(seed)
	A := new(edwards25519.Point).ScalarBaseMult(a)
	A.Add(A, T)
	pub := A.Bytes()
	return pub, func(msg []byte) []byte {
		for {
			rand.Read(seed)
			r, _ := new(edwards25519.Scalar).SetUniformBytes(seed)
			R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()
			h := sha512.New()
			h.Write(R)
			h.Write(pub)
			h.Write(msg)
			k, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(nil))
			if k.Bytes()[0]%8 == 0 {
				continue // k·T = 0: the cofactorless equation would hold too
			}
			s := new(edwards25519.Scalar).MultiplyAdd(k, a, r)
			sig := append(R, s.Bytes()...)
			if ed25519.Verify(ed25519.PublicKey(pub), msg, sig) || !suite.International().Signature().Verify(pub, msg, sig) {
				t.Fatal("the torsion signature is not ZIP-215-only")
			}
			return sig
		}
	}
}

// addOrderToS adds the group order to S, which the cofactored equation
// cannot tell from S and ed25519consensus refuses as not canonical.
func addOrderToS(sig []byte) []byte {
	l := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	out := bytes.Clone(sig)
	carry := 0
	for i := 0; i < 32; i++ {
		v := int(out[32+i]) + int(l[i]) + carry
		out[32+i] = byte(v)
		carry = v >> 8
	}
	return out
}

func notAPoint(t *testing.T) []byte {
	for y := byte(2); ; y++ {
		b := make([]byte, 32)
		b[0] = y
		if _, err := new(edwards25519.Point).SetBytes(b); err != nil {
			return b
		}
		if y == 255 {
			t.Fatal("no y off the curve")
		}
	}
}

func sm2N() []byte {
	n, _ := hex.DecodeString("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123")
	return n
}

// sm2NegG is the encoding of -G, the key of d = n-1.
func sm2NegG() []byte {
	gx, _ := hex.DecodeString("32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7")
	gy, _ := hex.DecodeString("bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0")
	p, _ := hex.DecodeString("fffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffff")
	// p - gy, byte by byte with borrow.
	neg := make([]byte, 32)
	borrow := 0
	for i := 31; i >= 0; i-- {
		v := int(p[i]) - int(gy[i]) - borrow
		borrow = 0
		if v < 0 {
			v += 256
			borrow = 1
		}
		neg[i] = byte(v)
	}
	return append(append([]byte{4}, gx...), neg...)
}

// derParts returns the INTEGER contents of a DER SM2 signature.
func derParts(t *testing.T, sig []byte) (r, s []byte) {
	t.Helper()
	in := cryptobyte.String(sig)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !seq.ReadASN1Bytes(&r, asn1.INTEGER) || !seq.ReadASN1Bytes(&s, asn1.INTEGER) {
		t.Fatal("not a DER signature")
	}
	return r, s
}

// derSig encodes two INTEGER contents as given, minimal or not.
func derSig(r, s []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(r) })
		b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(s) })
	})
	return b.BytesOrPanic()
}

// nonMinimalDER re-encodes a signature with a redundant zero before r.
func nonMinimalDER(t *testing.T, sig []byte) []byte {
	r, s := derParts(t, sig)
	return derSig(append([]byte{0, 0}, r...), s)
}

// policyVariants are policies of the edge network spelled in ways Go's
// parser accepts or refuses.
func policyVariants(n *network) []string {
	logLine := "log " + n.logVKey
	w := func(i int) string { return "witness " + n.witnesses[i].name + " " + n.witnesses[i].vkey }
	ws := w(0) + "\n" + w(1) + "\n" + w(2) + "\n"
	name, rest, _ := strings.Cut(n.logVKey, "+")
	hash, key64, _ := strings.Cut(rest, "+")
	return []string{
		logLine + "\n" + ws + "group g 2 court notary arbiter\nquorum g\n",
		"# a comment\n\n" + logLine + " https://example.com/log\n\t" + ws + "group\tg\tall\tcourt notary\nquorum g",
		logLine + "\r\n" + ws + "quorum court\n",
		logLine + "\n" + ws + "quorum court\nquorum notary\n",
		logLine + "\n" + ws + "quorum nobody\n",
		logLine + "\n" + ws,
		ws + "quorum court\n",
		logLine + "\n" + logLine + "\n" + ws + "quorum court\n",
		logLine + "\n" + w(0) + "\n" + w(0) + "\nquorum court\n",
		logLine + "\n" + "witness none " + n.witnesses[0].vkey + "\nquorum none\n",
		logLine + "\n" + "witness any " + n.witnesses[0].vkey + "\nquorum any\n",
		logLine + "\n" + ws + "group g 0 court\nquorum g\n",
		logLine + "\n" + ws + "group g 2 court\nquorum g\n",
		logLine + "\n" + ws + "group g 02 court notary\nquorum g\n",
		logLine + "\n" + ws + "group g +1 court\nquorum g\n",
		logLine + "\n" + ws + "group g 1 court court\nquorum g\n",
		logLine + "\n" + ws + "group g 1 later\ngroup later 1 court\nquorum g\n",
		logLine + "\n" + ws + "group g 1 none\nquorum g\n",
		logLine + "\n" + ws + "group court 1 notary\nquorum court\n",
		logLine + "\n" + ws + "group a any court notary\ngroup b 2 a arbiter\nquorum b\n",
		logLine + "\n" + ws + "quorum none\n",
		logLine + "\n" + ws + "frobnicate x\nquorum court\n",
		logLine + " a b\n" + ws + "quorum court\n",
		"log " + name + "+" + strings.ToUpper(hash) + "+" + key64 + "\n" + ws + "quorum court\n",
		"log " + name + "+" + hash + "+" + strings.TrimRight(key64, "=") + "\n" + ws + "quorum court\n",
		"log " + name + "x+" + hash + "+" + key64 + "\n" + ws + "quorum court\n",
		"log " + n.witnesses[0].vkey + "\n" + ws + "quorum court\n",
		logLine + "\nwitness court " + n.witnesses[0].plainVKey + "\nquorum court\n",
		logLine + "\nwitness court " + strings.Replace(n.logVKey, "edge.example/log", "court", 1) + "\nquorum court\n",
		logLine + "\n" + ws + "quorum court\n" + "\x7f\n",
		logLine + "\n" + ws + "quorum court\n# über\n",
		logLine + "\n" + ws + "quorum  court \n",
		logLine + "\n" + "witness court notakey\nquorum court\n",
		logLine + "\n" + ws + "quorum\n",
		logLine + "\n" + ws + "group g any\nquorum g\n",
		logLine + "\n" + "witness court\nquorum court\n",
		logLine + "\n" + "witness court " + n.witnesses[0].vkey + " url extra\nquorum court\n",
	}
}

// --- random mutations ---------------------------------------------------------

// mutationCases are random edits of a genuine receipt and policy, with
// what Go makes of each: a differential check of the parsers, the way a
// fuzzer would exercise them.
func mutationCases(t *testing.T, v *vectors, cs *suite.Suite) {
	l := receipttest.New(t, cs, 3, -1)
	rnd := mrand.New(mrand.NewPCG(1, uint64(len(cs.Name()))))
	good := l.Receipts[1].Format()
	digests, opening := l.Evidence(t, 1).Digests, mustJSON(l.Openings[1])
	for i := range 80 {
		m := mutate(rnd, good)
		if i%2 == 0 {
			v.add(fmt.Sprintf("receipt mutation %d", i), "mutations", l.PolicyText, m, digests, opening)
		} else {
			v.add(fmt.Sprintf("receipt mutation %d", i), "mutations", l.PolicyText, m, nil, nil)
		}
	}
	// Policies and openings are text files; the mutations of them that
	// stay UTF-8 are kept, as the vectors hold them as JSON strings.
	text := func(b []byte) []byte {
		for {
			if m := mutate(rnd, b); utf8.Valid(m) {
				return m
			}
		}
	}
	for i := range 40 {
		p := text(l.PolicyText)
		v.add(fmt.Sprintf("policy mutation %d", i), fmt.Sprintf("mutation-%d", i), p, good, nil, nil)
	}
	for i := range 30 {
		o := text(opening)
		v.add(fmt.Sprintf("opening mutation %d", i), "mutations", l.PolicyText, good, nil, o)
	}
}

// mutate makes one random edit of b: a flipped bit, a changed, removed
// or inserted byte, a repeated or removed line, or a changed character
// class at a boundary.
func mutate(rnd *mrand.Rand, b []byte) []byte {
	out := bytes.Clone(b)
	i := rnd.IntN(len(out))
	switch rnd.IntN(7) {
	case 0:
		out[i] ^= 1 << rnd.IntN(8)
	case 1:
		const repl = " \t\n\r=+/-0aZ\x00\xff"
		out[i] = repl[rnd.IntN(len(repl))]
	case 2:
		out = slices.Delete(out, i, i+1)
	case 3:
		const ins = " \n=+A0\r"
		out = slices.Insert(out, i, ins[rnd.IntN(len(ins))])
	case 4:
		lines := bytes.SplitAfter(out, []byte("\n"))
		j := rnd.IntN(len(lines))
		lines = slices.Insert(lines, j, lines[j])
		out = bytes.Join(lines, nil)
	case 5:
		lines := bytes.SplitAfter(out, []byte("\n"))
		j := rnd.IntN(len(lines))
		out = bytes.Join(slices.Delete(lines, j, j+1), nil)
	case 6:
		out[i] ^= 0x20 // letter case, or space and NUL
	}
	return out
}
