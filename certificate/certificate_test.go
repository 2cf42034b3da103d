package certificate

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/receipt/receipttest"
	"github.com/jurichain/jurichain/suite"
)

// office is an institution ("court", the cosigning member of a
// receipttest log) with its keyring and issuer.
type office struct {
	log    *receipttest.Log
	keys   *pki.Keyring
	issuer *Issuer
}

func newOffice(t testing.TB, cs *suite.Suite, deposits int) *office {
	t.Helper()
	l := receipttest.New(t, cs, deposits, -1)
	caKey, err := cs.Certificates().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	inst := pki.Institution{Name: receipttest.Witness, Kind: "court"}
	der, err := pki.NewCA(cs, caKey, inst, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.Check(cs, der)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pki.OpenKeyring(cs, t.TempDir(), ca, caKey, inst, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	endorsement, err := Endorse(cs, l.WitnessKey, receipttest.Origin, inst.Name, ca.Raw)
	if err != nil {
		t.Fatal(err)
	}
	is, err := NewIssuer(IssuerConfig{Suite: cs, Origin: receipttest.Origin, Institution: inst, Keyring: keys, Endorsement: endorsement,
		VerifyURL: func(n string) string { return "https://court.example/v1/certificates/" + n }})
	if err != nil {
		t.Fatal(err)
	}
	return &office{log: l, keys: keys, issuer: is}
}

func (o *office) issue(t testing.TB, i int) ([]byte, *Data) {
	t.Helper()
	rc := o.log.Receipts[i]
	token, err := o.issuer.StampCheckpoint(rc.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	pdf, d, err := o.issuer.Issue(Input{Policy: o.log.Policy, PolicyText: o.log.PolicyText, Receipt: rc, CheckpointToken: token,
		Opening: o.log.Openings[i], Depositor: Depositor{Name: "刘䶮", Account: "acct-0123456789abcdef0123"}, TxHash: strings.Repeat("ab", 32)})
	if err != nil {
		t.Fatal(err)
	}
	return pdf, d
}

// reseal seals again, with the institution's own keys, a certificate whose
// statement mutate changed: what a dishonest or buggy issuer would make.
// With rerender the page shows the changed statement; else the original.
func (o *office) reseal(t *testing.T, pdf []byte, mutate func(*Data), rerender bool) []byte {
	t.Helper()
	sealed, err := certpdf.Read(pdf)
	if err != nil {
		t.Fatal(err)
	}
	var d Data
	var proofs []certpdf.Attachment
	for _, a := range sealed.Attachments {
		switch a.Name {
		case AttachData:
			if err := json.Unmarshal(a.Data, &d); err != nil {
				t.Fatal(err)
			}
		case AttachEndorsement, AttachCRL:
		default:
			proofs = append(proofs, a)
		}
	}
	changed := d
	mutate(&changed)
	var page []byte
	if !rerender {
		page, err = o.issuer.renderer.Render(must(document(&d)))
		if err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := o.issuer.seal(&changed, page, proofs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func forEachSuite(t *testing.T, f func(t *testing.T, cs *suite.Suite)) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { f(t, cs) })
	}
}

// TestVerify issues a certificate and has Verify accept it, with and
// without the file, and name the failed check for each kind of forgery.
func TestVerify(t *testing.T) { forEachSuite(t, testVerify) }

func testVerify(t *testing.T, cs *suite.Suite) {
	o := newOffice(t, cs, 3)
	pdf, d := o.issue(t, 1)
	if d.Depositor.Name != "刘䶮" || d.LeafIndex != 1 || d.File.Name != "file 1" || d.Checkpoint.Size != 3 {
		t.Fatalf("certificate states %+v", d)
	}
	res, err := Verify(pdf, Options{Policy: o.log.Policy, File: bytes.NewReader(o.log.Contents[1])})
	if err != nil {
		t.Fatal(err)
	}
	if !res.FileChecked || res.Data.Number != d.Number || res.SealedAt.IsZero() || res.CheckpointTime.IsZero() {
		t.Fatalf("result %+v", res)
	}
	if _, err := Verify(pdf, Options{Policy: o.log.Policy}); err != nil {
		t.Fatalf("without the file: %v", err)
	}
	other := newOffice(t, cs, 1)
	flipped := bytes.Clone(pdf)
	flipped[len(flipped)/3] ^= 1
	for _, tc := range []struct {
		name  string
		pdf   []byte
		opts  Options
		check Check
		says  string
	}{
		{"another deposit's file", pdf, Options{Policy: o.log.Policy, File: bytes.NewReader(o.log.Contents[0])}, CheckFile, "not the one"},
		{"one byte of the file changed", pdf, Options{Policy: o.log.Policy, File: bytes.NewReader(append([]byte("X"), o.log.Contents[1][1:]...))}, CheckFile, "differs"},
		{"one byte of the PDF changed", flipped, Options{Policy: o.log.Policy}, "", ""},
		{"another network's policy", pdf, Options{Policy: other.log.Policy}, CheckAuthority, ""},
		{"a printed field changed and sealed again", o.reseal(t, pdf, func(d *Data) { d.File.Name = "合同.pdf" }, true), Options{Policy: o.log.Policy}, CheckFields, "file name"},
		{"the statement changed, not the page", o.reseal(t, pdf, func(d *Data) { d.Depositor.Name = "王五" }, false), Options{Policy: o.log.Policy}, CheckFields, "printed page differs"},
		{"another digest printed", o.reseal(t, pdf, func(d *Data) { d.Digests[cs.ContentDigest()] = strings.Repeat("0", 64) }, true), Options{Policy: o.log.Policy}, CheckFields, "digest"},
		{"another certified time", o.reseal(t, pdf, func(d *Data) { d.CertifiedTime = d.CertifiedTime.Add(time.Hour) }, true), Options{Policy: o.log.Policy}, CheckFields, "certified time"},
		{"another number", o.reseal(t, pdf, func(d *Data) { d.Number = "JC-AAAAA-AAAAA-AAAAA-AAAAA" }, true), Options{Policy: o.log.Policy}, CheckFields, "verification URL"},
		{"a malformed number", o.reseal(t, pdf, func(d *Data) { d.Number = "JC-0"; d.VerifyURL = "https://x/v1/certificates/JC-0" }, true), Options{Policy: o.log.Policy}, CheckFields, "number"},
		{"another kind of institution", o.reseal(t, pdf, func(d *Data) { d.Institution.Kind = "notary" }, true), Options{Policy: o.log.Policy}, CheckSealCert, "notary"},
		{"another log index", o.reseal(t, pdf, func(d *Data) { d.LeafIndex = 2 }, true), Options{Policy: o.log.Policy}, CheckFields, "log index"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.pdf, tc.opts)
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a failed check", err)
			}
			if tc.check != "" && ce.Check != tc.check || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want check %q saying %q", err, tc.check, tc.says)
			}
		})
	}
}

// TestValidityAtTheSealsTime: rotation keeps what was sealed before
// verifying; a revocation dating from before a seal refuses it, whichever
// revocation list is newer decides.
func TestValidityAtTheSealsTime(t *testing.T) { forEachSuite(t, testValidityAtTheSealsTime) }

func testValidityAtTheSealsTime(t *testing.T, cs *suite.Suite) {
	o := newOffice(t, cs, 2)
	before, _ := o.issue(t, 0)
	old := must(o.keys.Current(pki.RoleSeal))
	oldTSA := must(o.keys.Current(pki.RoleTSA))
	if _, err := o.keys.Rotate(pki.RoleSeal, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := o.keys.Rotate(pki.RoleTSA, time.Now()); err != nil {
		t.Fatal(err)
	}
	after, _ := o.issue(t, 1)
	for name, pdf := range map[string][]byte{"before": before, "after": after} {
		if _, err := Verify(pdf, Options{Policy: o.log.Policy, CRL: o.keys.CRL()}); err != nil {
			t.Fatalf("certificate sealed %s the rotation: %v", name, err)
		}
	}
	res, _ := Verify(after, Options{Policy: o.log.Policy})
	if res.Seal.Equal(old.Cert) {
		t.Fatal("the certificate after the rotation is sealed with the old key")
	}
	// The new seal revoked from before it sealed 'after'.
	if err := o.keys.Revoke(res.Seal.SerialNumber, res.SealedAt.Add(-time.Second), 1); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(after, Options{Policy: o.log.Policy, CRL: o.keys.CRL()})
	var revoked *pki.RevokedError
	if !errors.As(err, &revoked) || !strings.HasPrefix(err.Error(), string(CheckSealCert)) {
		t.Fatalf("a certificate sealed after its seal's revocation: %v", err)
	}
	// The older list embedded in the certificate does not override it.
	if _, err := Verify(after, Options{Policy: o.log.Policy, CRL: o.keys.CRL()}); err == nil {
		t.Fatal("verified with the newer list")
	}
	if _, err := Verify(before, Options{Policy: o.log.Policy, CRL: o.keys.CRL()}); err != nil {
		t.Fatalf("the certificate sealed before: %v", err)
	}
	// The time-stamping key revoked from before the checkpoint's stamp.
	if err := o.keys.Revoke(oldTSA.Cert.SerialNumber, oldTSA.Cert.NotBefore, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(before, Options{Policy: o.log.Policy, CRL: o.keys.CRL()}); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("a certificate time-stamped by a revoked authority: %v", err)
	}
	// A revocation list signed by another authority is refused.
	stranger := newOffice(t, cs, 1)
	if _, err := Verify(before, Options{Policy: o.log.Policy, CRL: stranger.keys.CRL()}); err == nil || !strings.Contains(err.Error(), "revocation list") {
		t.Fatalf("a stranger's revocation list: %v", err)
	}
}

func TestNumbers(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		n, err := NewNumber(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := ParseNumber(n); err != nil || p != n || seen[n] {
			t.Fatalf("number %s: parsed %q, %v, seen before %v", n, p, err, seen[n])
		}
		seen[n] = true
	}
	n := "JC-JCAAA-BBBBB-CCCCC-DDDDD"
	for _, tc := range []struct{ in, want, err string }{
		{n, n, ""},
		{strings.ToLower(strings.ReplaceAll(n, "-", "")), n, ""},
		{" " + strings.ReplaceAll(n, "-", " ") + " ", n, ""},
		{"JCAAA-BBBBB-CCCCC-DDDDD", n, ""}, // typed without the prefix, starting with JC
		{"JC-0", "", "want JC-"},
		{"JC-AAAAA-AAAAA-AAAAA-AAAA1", "", "not a letter"},
		{"JC-AAAAA-AAAAA-AAAAA-AAAA\u202e", "", "want JC-"},
	} {
		got, err := ParseNumber(tc.in)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseNumber(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestPublicHidesTheDepositor: what a number alone reveals.
func TestPublicHidesTheDepositor(t *testing.T) {
	o := newOffice(t, suite.International(), 1)
	_, d := o.issue(t, 0)
	p := d.Public()
	if p.Depositor != (Depositor{}) || p.File.Name != "" || p.File.MediaType != "" || p.CaseRef != "" || p.Capture != nil {
		t.Fatalf("public view shows %+v", p)
	}
	if p.Number != d.Number || p.Deposit != d.Deposit || len(p.Digests) == 0 || d.Depositor.Name == "" {
		t.Fatalf("public view lost what it proves, or changed the original: %+v / %+v", p, d)
	}
}

func TestEndorsement(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		o := newOffice(t, cs, 1)
		ca := o.keys.CA().Raw
		e := o.issuer.Endorsement()
		if err := VerifyEndorsement(o.log.Policy, e, receipttest.Witness, ca); err != nil {
			t.Fatal(err)
		}
		other := newOffice(t, cs, 1)
		for name, tc := range map[string]struct {
			e    []byte
			inst string
			ca   []byte
			says string
		}{
			"another CA":                {e, receipttest.Witness, other.keys.CA().Raw, "another certificate authority"},
			"another institution":       {e, "notary", ca, "by \"court\""},
			"another network's key":     {other.issuer.Endorsement(), receipttest.Witness, other.keys.CA().Raw, "not signed"},
			"no signature":              {bytes.Split(e, []byte("\n\n"))[0], receipttest.Witness, ca, "malformed"},
			"a signature of other text": {append(bytes.Split(e, []byte("\n\n"))[0], append([]byte("\n\n"), bytes.Split(other.issuer.Endorsement(), []byte("\n\n"))[1]...)...), receipttest.Witness, ca, "not signed"},
		} {
			if err := VerifyEndorsement(o.log.Policy, tc.e, tc.inst, tc.ca); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%s: %v, want it to say %q", name, err, tc.says)
			}
		}
	})
}

// TestIssueRefusesARevokedCheckpointStamp: a checkpoint token whose
// time-stamping key was later revoked from before it is not sealed into
// a certificate; a fresh stamp is.
func TestIssueRefusesARevokedCheckpointStamp(t *testing.T) {
	forEachSuite(t, func(t *testing.T, cs *suite.Suite) {
		o := newOffice(t, cs, 1)
		rc := o.log.Receipts[0]
		token, err := o.issuer.StampCheckpoint(rc.Checkpoint)
		if err != nil {
			t.Fatal(err)
		}
		tsaCred := must(o.keys.Current(pki.RoleTSA))
		if err := o.keys.Revoke(tsaCred.Cert.SerialNumber, tsaCred.Cert.NotBefore, pki.ReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
		in := Input{Policy: o.log.Policy, PolicyText: o.log.PolicyText, Receipt: rc, CheckpointToken: token, Opening: o.log.Openings[0]}
		if _, _, err := o.issuer.Issue(in); !errors.Is(err, ErrTimeStampRevoked) {
			t.Fatalf("issued with a revoked authority's stamp: %v", err)
		}
		if in.CheckpointToken, err = o.issuer.StampCheckpoint(rc.Checkpoint); err != nil {
			t.Fatal(err)
		}
		in.Number = "JC-AAAAA-BBBBB-CCCCC-DDDDD"
		pdf, d, err := o.issuer.Issue(in)
		if err != nil || d.Number != in.Number {
			t.Fatalf("issue again under the same number: %v, %+v", err, d)
		}
		if _, err := Verify(pdf, Options{Policy: o.log.Policy, CRL: o.keys.CRL()}); err != nil {
			t.Fatal(err)
		}
	})
}
