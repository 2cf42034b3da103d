package certificate

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/certpdf"
	"github.com/jurichain/jurichain/cms"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/pki"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/tsa"
)

// Check names one step of a certificate's verification.
type Check string

// The verification steps, in order.
const (
	CheckPDF           Check = "certificate PDF"
	CheckSeal          Check = "seal"
	CheckSealTime      Check = "seal time-stamp"
	CheckAuthority     Check = "institution's certificate authority"
	CheckSealCert      Check = "seal certificate"
	CheckTSACert       Check = "time-stamping certificate"
	CheckReceipt       Check = "receipt"
	CheckFile          Check = "file"
	CheckCheckpointTSA Check = "checkpoint time-stamp"
	CheckFields        Check = "printed fields"
)

// CheckError reports which step of verification failed.
type CheckError struct {
	Check Check
	Err   error
}

func (e *CheckError) Error() string { return fmt.Sprintf("%s: %v", e.Check, e.Err) }
func (e *CheckError) Unwrap() error { return e.Err }

func fail(c Check, format string, a ...any) error {
	return &CheckError{Check: c, Err: fmt.Errorf(format, a...)}
}

// Options are what a verifier holds besides the certificate.
type Options struct {
	// Policy is the network's trust policy: the one root of trust.
	Policy *policy.Policy
	// File, when set, is the evidence file: its digests must equal the
	// certificate's.
	File io.Reader
	// CRL is a revocation list of the institution newer than the one in
	// the certificate (from GET /v1/pki/crl); the newer of the two is used.
	CRL []byte
}

// Result is what a verified certificate establishes.
type Result struct {
	Data   *Data
	Proven *receipt.Proven
	// SealedAt is the time of the seal's RFC 3161 time-stamp; Seal the
	// seal certificate and Authority the institution's CA.
	SealedAt  time.Time
	Seal      *smx509.Certificate
	Authority *smx509.Certificate
	// CheckpointTime is the RFC 3161 time of the checkpoint.
	CheckpointTime time.Time
	// CRL is the revocation list validity was judged by (DER): the newest
	// of the one attached and Options.CRL. A revocation the verifier has
	// no list of is not seen: offline, fetch the institution's current
	// list first (GET /v1/pki/crl).
	CRL *smx509.RevocationList
	// Attachments are the PDF's attachments by name.
	Attachments map[string][]byte
	// FileChecked is set when Options.File was compared.
	FileChecked bool
}

// Verify checks a certificate PDF: the seal and its time-stamp, the
// institution's certificates at that time (not revoked then, per the newest
// revocation list at hand), the attached receipt under the policy, the
// checkpoint's time-stamp, that the printed page states exactly what was
// proven, and, with Options.File, that the file is the deposited one.
func Verify(pdf []byte, o Options) (*Result, error) {
	v, err := NewVerifier()
	if err != nil {
		return nil, err
	}
	return v.Verify(pdf, o)
}

// Verifier verifies certificates with fonts parsed once: a node that
// checks many keeps one.
type Verifier struct{ renderer *certpdf.Renderer }

// NewVerifier parses the fonts a page is rendered again with.
func NewVerifier() (*Verifier, error) {
	r, err := certpdf.NewRenderer()
	if err != nil {
		return nil, err
	}
	return &Verifier{renderer: r}, nil
}

// Verify is the package's Verify with the verifier's fonts.
func (v *Verifier) Verify(pdf []byte, o Options) (*Result, error) { return v.verify(pdf, o, nil) }

// verify checks a certificate; rendered, when set, is the page its issuer
// just rendered from the statement, which need not be rendered again when
// the certificate holds exactly it.
func (v *Verifier) verify(pdf []byte, o Options, rendered []byte) (*Result, error) {
	if o.Policy == nil {
		return nil, errors.New("verifying a certificate needs the network's policy")
	}
	cs := o.Policy.Suite()
	if cs == nil {
		return nil, fail(CheckReceipt, "the policy's keys are of no known suite")
	}
	scheme := cs.Certificates()
	sealed, err := certpdf.Read(pdf)
	if err != nil {
		return nil, &CheckError{CheckPDF, err}
	}
	att := map[string][]byte{}
	for _, a := range sealed.Attachments {
		if _, dup := att[a.Name]; dup {
			return nil, fail(CheckPDF, "two attachments are named %q", a.Name)
		}
		att[a.Name] = a.Data
	}
	for _, name := range []string{AttachData, AttachReceipt, AttachOpening, AttachTimeStamp, AttachEndorsement, AttachCRL} {
		if att[name] == nil {
			return nil, fail(CheckPDF, "the attachment %s is missing", name)
		}
	}
	res := &Result{Attachments: att}

	// The seal, and the time it was made.
	sd, err := cms.Parse(sealed.CMS)
	if err != nil {
		return nil, &CheckError{CheckSeal, err}
	}
	sealCert, err := sd.Verify(scheme, sealed.Signed)
	if err != nil {
		return nil, &CheckError{CheckSeal, err}
	}
	token, ok := sd.SignatureTimeStamp()
	if !ok {
		return nil, fail(CheckSealTime, "the seal carries no RFC 3161 signature time-stamp")
	}
	h := scheme.NewHash()
	h.Write(sd.Signature)
	sealTok, err := tsa.Verify(scheme, token, scheme.DigestOID(), h.Sum(nil), nil)
	if err != nil {
		return nil, &CheckError{CheckSealTime, err}
	}
	res.SealedAt, res.Seal = sealTok.GenTime, sealCert

	// Who sealed: the institution the policy names vouches for the CA
	// that issued the seal and time-stamping certificates.
	var data Data
	if err := json.Unmarshal(att[AttachData], &data); err != nil {
		return nil, fail(CheckFields, "%s: %v", AttachData, err)
	}
	res.Data = &data
	ca := issuerOf(sealCert, append(slices.Clone(sd.Certificates), sealTok.Certificates...))
	if ca == nil {
		return nil, fail(CheckAuthority, "the seal does not carry the certificate authority that issued %q", sealCert.Subject.CommonName)
	}
	if err := VerifyEndorsement(o.Policy, att[AttachEndorsement], data.Institution.Name, ca.Raw); err != nil {
		return nil, &CheckError{CheckAuthority, err}
	}
	if !slices.Contains(sealCert.Subject.Organization, data.Institution.Name) {
		return nil, fail(CheckSealCert, "the seal certificate is of %q, the certificate names %q as its institution", sealCert.Subject.Organization, data.Institution.Name)
	}
	if !slices.Contains(sealCert.Subject.OrganizationalUnit, data.Institution.Kind) {
		return nil, fail(CheckSealCert, "the seal certificate says the institution is a %q, the certificate a %q", sealCert.Subject.OrganizationalUnit, data.Institution.Kind)
	}
	res.Authority = ca
	crl, err := newestCRL(cs, ca, att[AttachCRL], o.CRL)
	if err != nil {
		return nil, &CheckError{CheckAuthority, err}
	}
	res.CRL = crl
	var crlDER []byte
	if crl != nil {
		crlDER = crl.Raw
	}
	if err := pki.VerifyAt(cs, pki.RoleSeal, sealCert, ca, crlDER, sealTok.GenTime); err != nil {
		return nil, &CheckError{CheckSealCert, err}
	}
	if err := pki.VerifyAt(cs, pki.RoleTSA, sealTok.Signer, ca, crlDER, sealTok.GenTime); err != nil {
		return nil, &CheckError{CheckTSACert, err}
	}

	// What is certified.
	rc, err := receipt.Parse(att[AttachReceipt])
	if err != nil {
		return nil, &CheckError{CheckReceipt, err}
	}
	var opening deposit.Opening
	if err := json.Unmarshal(att[AttachOpening], &opening); err != nil {
		return nil, fail(CheckReceipt, "%s: %v", AttachOpening, err)
	}
	ev := receipt.Evidence{Opening: &opening}
	if o.File != nil {
		leaf, err := deposit.ParseLeaf(rc.Leaf)
		if err != nil {
			return nil, &CheckError{CheckReceipt, err}
		}
		var algs []string
		for _, d := range leaf.Digests {
			algs = append(algs, d.Algorithm.String())
		}
		if ev.Digests, err = receipt.ContentDigests(o.File, algs...); err != nil {
			return nil, fail(CheckFile, "reading the file: %v", err)
		}
	}
	proven, err := receipt.Verify(o.Policy, rc, ev)
	if err != nil {
		var ce *receipt.CheckError
		if errors.As(err, &ce) && ce.Check == receipt.CheckContent {
			return nil, &CheckError{CheckFile, fmt.Errorf("the file is not the one this certificate is for: %w", ce.Err)}
		}
		return nil, &CheckError{CheckReceipt, err}
	}
	res.Proven, res.FileChecked = proven, o.File != nil
	req := checkpointRequest(cs, rc.Checkpoint)
	cpTok, err := tsa.Verify(scheme, att[AttachTimeStamp], req.HashAlgorithm, req.HashedMessage, nil)
	if err != nil {
		return nil, &CheckError{CheckCheckpointTSA, err}
	}
	if err := pki.VerifyAt(cs, pki.RoleTSA, cpTok.Signer, ca, crlDER, cpTok.GenTime); err != nil {
		return nil, &CheckError{CheckCheckpointTSA, err}
	}
	res.CheckpointTime = cpTok.GenTime

	// The page says what was proven, and nothing else.
	if err := checkFields(&data, proven, &opening, cpTok.GenTime, cpTok.Signer.Subject.CommonName); err != nil {
		return nil, &CheckError{CheckFields, err}
	}
	if rendered != nil && bytes.Equal(rendered, sealed.Unsealed) {
		return res, nil
	}
	doc, err := document(&data)
	if err != nil {
		return nil, &CheckError{CheckFields, err}
	}
	again, err := v.renderer.Render(doc)
	if err != nil {
		return nil, &CheckError{CheckFields, err}
	}
	want, err := certpdf.Canonical(again)
	if err != nil {
		return nil, &CheckError{CheckFields, err}
	}
	got, err := certpdf.Canonical(sealed.Unsealed)
	if err != nil {
		return nil, &CheckError{CheckFields, err}
	}
	// Every object of the page, its fonts and resources included, is the
	// one a render of the statement makes: a page cannot print other text,
	// nor draw it with other glyphs.
	if !bytes.Equal(want, got) {
		return nil, fail(CheckFields, "the printed page differs from what %s states", AttachData)
	}
	return res, nil
}

// checkFields compares what certificate.json states with what the receipt,
// the opening and the checkpoint's time-stamp prove.
func checkFields(d *Data, p *receipt.Proven, o *deposit.Opening, stamped time.Time, tsaName string) error {
	cs := p.Suite
	mismatch := func(field string, printed, proven any) error {
		return fmt.Errorf("%s: the certificate says %v, the proof %v", field, printed, proven)
	}
	id := p.Leaf.ID(cs)
	switch {
	case d.Version != LayoutVersion:
		return fmt.Errorf("layout version %d is unknown", d.Version)
	case d.Origin != p.Origin():
		return mismatch("network", d.Origin, p.Origin())
	case d.Suite != cs.Name():
		return mismatch("suite", d.Suite, cs.Name())
	case d.Deposit != id:
		return mismatch("deposit", d.Deposit, id)
	case !d.CertifiedTime.Equal(p.CertifiedTime()):
		return mismatch("certified time", d.CertifiedTime, p.CertifiedTime())
	case d.Height != p.Leaf.Height:
		return mismatch("block height", d.Height, p.Leaf.Height)
	case d.LeafIndex != p.Leaf.Index:
		return mismatch("log index", d.LeafIndex, p.Leaf.Index)
	case d.File.Size != p.Leaf.Size:
		return mismatch("file size", d.File.Size, p.Leaf.Size)
	case d.Depositor.Key != hex.EncodeToString(p.Leaf.Depositor):
		return mismatch("depositor key", d.Depositor.Key, hex.EncodeToString(p.Leaf.Depositor))
	case d.Checkpoint.Size != p.Checkpoint.Size:
		return mismatch("checkpoint size", d.Checkpoint.Size, p.Checkpoint.Size)
	case d.Checkpoint.Root != hex.EncodeToString(p.Checkpoint.Hash[:]):
		return mismatch("checkpoint root", d.Checkpoint.Root, hex.EncodeToString(p.Checkpoint.Hash[:]))
	case !slices.Equal(d.Checkpoint.Cosigners, p.Cosigners):
		return mismatch("cosigners", d.Checkpoint.Cosigners, p.Cosigners)
	case !d.TimeStamp.Equal(stamped):
		return mismatch("RFC 3161 time", d.TimeStamp, stamped)
	case d.TimeStampAuthority != tsaName:
		return mismatch("time-stamping authority", d.TimeStampAuthority, tsaName)
	case d.File.Name != o.Title:
		return mismatch("file name", d.File.Name, o.Title)
	case d.File.MediaType != o.MediaType:
		return mismatch("media type", d.File.MediaType, o.MediaType)
	case d.CaseRef != o.CaseRef:
		return mismatch("case", d.CaseRef, o.CaseRef)
	}
	if n, err := ParseNumber(d.Number); err != nil || n != d.Number {
		return fmt.Errorf("number: %q is not a certificate number", d.Number)
	}
	if !strings.HasSuffix(d.VerifyURL, "/v1/certificates/"+d.Number) {
		return fmt.Errorf("verification URL: %q is not the URL of certificate %s", d.VerifyURL, d.Number)
	}
	if len(d.Digests) != len(p.Leaf.Digests) {
		return mismatch("digests", len(d.Digests), len(p.Leaf.Digests))
	}
	for _, dg := range p.Leaf.Digests {
		if got, want := d.Digests[dg.Algorithm.String()], hex.EncodeToString(dg.Value); got != want {
			return mismatch(dg.Algorithm.String()+" digest", got, want)
		}
	}
	want, _ := json.Marshal(captureOf(o.Capture))
	got, _ := json.Marshal(d.Capture)
	if !bytes.Equal(got, want) {
		return mismatch("capture", string(got), string(want))
	}
	return nil
}

// issuerOf finds, among certs, the one that signed cert.
func issuerOf(cert *smx509.Certificate, certs []*smx509.Certificate) *smx509.Certificate {
	for _, c := range certs {
		if c.IsCA && bytes.Equal(c.RawSubject, cert.RawIssuer) && cert.CheckSignatureFrom(c) == nil {
			return c
		}
	}
	return nil
}

// newestCRL returns the revocation list with the highest number among
// those given, each checked against the CA.
func newestCRL(cs *suite.Suite, ca *smx509.Certificate, crls ...[]byte) (*smx509.RevocationList, error) {
	var best *smx509.RevocationList
	for _, der := range crls {
		if der == nil {
			continue
		}
		l, err := pki.ParseCRL(cs, der, ca)
		if err != nil {
			return nil, fmt.Errorf("revocation list: %w", err)
		}
		if best == nil || l.Number != nil && (best.Number == nil || l.Number.Cmp(best.Number) > 0) {
			best = l
		}
	}
	return best, nil
}

// Peek reads what a certificate PDF states without verifying anything:
// to choose what to verify it with (whose revocation list), or to name a
// file. Nothing it returns is to be trusted.
func Peek(pdf []byte) (*Data, error) {
	sealed, err := certpdf.Read(pdf)
	if err != nil {
		return nil, err
	}
	for _, a := range sealed.Attachments {
		if a.Name == AttachData {
			var d Data
			if err := json.Unmarshal(a.Data, &d); err != nil {
				return nil, fmt.Errorf("%s: %w", AttachData, err)
			}
			return &d, nil
		}
	}
	return nil, fmt.Errorf("no %s attached", AttachData)
}
