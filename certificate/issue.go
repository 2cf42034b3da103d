package certificate

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
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

// Issuer is an institution's certification office: it runs the
// institution's time-stamping authority and seals its certificates, with
// the current credentials of its keyring.
type Issuer struct {
	cfg      IssuerConfig
	renderer *certpdf.Renderer
	verifier *Verifier

	mu        sync.Mutex
	authority *tsa.Authority // for the keyring's current TSA certificate
}

// IssuerConfig is what an Issuer needs.
type IssuerConfig struct {
	Suite       *suite.Suite
	Origin      string
	Institution pki.Institution
	Keyring     *pki.Keyring
	// Endorsement is the institution's endorsement of its certificate
	// authority (Endorse).
	Endorsement []byte
	// VerifyURL returns the URL printed and encoded in the QR code for a
	// certificate number.
	VerifyURL func(number string) string
	Now       func() time.Time
	Rand      io.Reader
}

// NewIssuer makes an issuer; it parses the fonts once.
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Suite == nil || cfg.Keyring == nil || cfg.VerifyURL == nil || len(cfg.Endorsement) == 0 {
		return nil, errors.New("certificate issuer: suite, keyring, endorsement and verification URL are required")
	}
	r, err := certpdf.NewRenderer()
	if err != nil {
		return nil, err
	}
	return &Issuer{cfg: cfg, renderer: r, verifier: &Verifier{renderer: r}}, nil
}

// Authority returns the time-stamping authority of the keyring's current
// TSA credential: after `jurichain seal rotate --role tsa` the next token
// is signed with the new key.
func (is *Issuer) Authority() (*tsa.Authority, error) {
	cred, err := is.cfg.Keyring.Current(pki.RoleTSA)
	if err != nil {
		return nil, err
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.authority != nil && is.authority.Cert.Equal(cred.Cert) {
		return is.authority, nil
	}
	a, err := tsa.NewAuthority(tsa.Authority{
		Scheme: is.cfg.Suite.Certificates(),
		Cert:   cred.Cert,
		Chain:  cred.Chain,
		Key:    cred.Key,
		Now:    is.cfg.Now,
		Rand:   is.cfg.Rand,
	})
	if err != nil {
		return nil, fmt.Errorf("the time-stamping authority: %w", err)
	}
	is.authority = a
	return a, nil
}

// StampCheckpoint returns an RFC 3161 token over a checkpoint: its imprint
// is the suite's certificate hash of the checkpoint's body (origin, size
// and root: the signature lines aside, which differ between nodes).
func (is *Issuer) StampCheckpoint(checkpoint []byte) ([]byte, error) {
	a, err := is.Authority()
	if err != nil {
		return nil, err
	}
	return a.Stamp(checkpointRequest(is.cfg.Suite, checkpoint))
}

func checkpointRequest(cs *suite.Suite, checkpoint []byte) *tsa.Request {
	scheme := cs.Certificates()
	h := scheme.NewHash()
	h.Write(checkpointBody(checkpoint))
	return &tsa.Request{HashAlgorithm: scheme.DigestOID(), HashedMessage: h.Sum(nil), CertReq: true}
}

// checkpointBody is a signed note's text, without its signatures: a
// subslice, never written to (checkpoints are shared between requests).
func checkpointBody(signed []byte) []byte {
	if i := bytes.Index(signed, []byte("\n\n")); i >= 0 {
		return signed[:i+1]
	}
	return signed
}

// Input is what a certificate is made of.
type Input struct {
	// Policy is the network's policy in force; PolicyText its text,
	// attached.
	Policy     *policy.Policy
	PolicyText []byte
	// Receipt proves the deposit at the checkpoint that CheckpointToken
	// time-stamps.
	Receipt         *receipt.Receipt
	CheckpointToken []byte
	Opening         *deposit.Opening
	Depositor       Depositor
	TxHash          string
	// Number is the certificate's number when it is issued again (after a
	// revocation made the first one fail); empty for a new one.
	Number string
}

// ErrTimeStampRevoked is returned by Issue when the checkpoint's token is
// signed by a time-stamping certificate that the institution's revocation
// list now refuses at the token's time: stamp the checkpoint again.
var ErrTimeStampRevoked = errors.New("the checkpoint's time-stamp is by a revoked time-stamping certificate")

// Issue makes the sealed certificate of a deposit. It verifies its inputs
// as a verifier will, so it never seals what would not verify.
func (is *Issuer) Issue(in Input) ([]byte, *Data, error) { return is.issue(in, 1) }

func (is *Issuer) issue(in Input, attempt int) ([]byte, *Data, error) {
	cs := is.cfg.Suite
	if in.Opening == nil {
		return nil, nil, errors.New("a certificate needs the deposit's metadata opening: the file name and media type are printed on it")
	}
	proven, err := receipt.Verify(in.Policy, in.Receipt, receipt.Evidence{Opening: in.Opening})
	if err != nil {
		return nil, nil, fmt.Errorf("the deposit's receipt: %w", err)
	}
	req := checkpointRequest(cs, in.Receipt.Checkpoint)
	tok, err := tsa.Verify(cs.Certificates(), in.CheckpointToken, req.HashAlgorithm, req.HashedMessage, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("the checkpoint's time-stamp: %w", err)
	}
	if err := pki.VerifyAt(cs, pki.RoleTSA, tok.Signer, is.CA(), is.CRL(), tok.GenTime); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrTimeStampRevoked, err)
	}
	id := proven.Leaf.ID(cs)
	now := is.cfg.Now().UTC().Truncate(time.Second)
	number := in.Number
	if number == "" {
		if number, err = NewNumber(is.cfg.Rand); err != nil {
			return nil, nil, err
		}
	}
	d := &Data{
		Version:            LayoutVersion,
		Number:             number,
		Origin:             proven.Origin(),
		Suite:              cs.Name(),
		Institution:        Institution{Name: is.cfg.Institution.Name, Kind: is.cfg.Institution.Kind},
		Depositor:          in.Depositor,
		Deposit:            id,
		CertifiedTime:      proven.CertifiedTime(),
		TimeStamp:          tok.GenTime,
		TimeStampAuthority: tok.Signer.Subject.CommonName,
		File:               File{Name: in.Opening.Title, Size: proven.Leaf.Size, MediaType: in.Opening.MediaType},
		Digests:            map[string]string{},
		TxHash:             in.TxHash,
		Height:             proven.Leaf.Height,
		LeafIndex:          proven.Leaf.Index,
		Checkpoint:         Checkpoint{Size: proven.Checkpoint.Size, Root: hex.EncodeToString(proven.Checkpoint.Hash[:]), Cosigners: proven.Cosigners},
		CaseRef:            in.Opening.CaseRef,
		Capture:            captureOf(in.Opening.Capture),
		VerifyURL:          is.cfg.VerifyURL(number),
		Issued:             now,
	}
	d.Depositor.Key = hex.EncodeToString(proven.Leaf.Depositor)
	for _, dg := range proven.Leaf.Digests {
		d.Digests[dg.Algorithm.String()] = hex.EncodeToString(dg.Value)
	}
	openingJSON, err := json.MarshalIndent(in.Opening, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	doc, err := document(d)
	if err != nil {
		return nil, nil, err
	}
	page, err := is.renderer.Render(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("rendering the certificate: %w", err)
	}
	pdf, raced, err := is.seal(d, page, []certpdf.Attachment{
		{Name: AttachReceipt, Description: "Receipt of the deposit (C2SP tlog-proof)", MediaType: "text/plain", Data: in.Receipt.Format()},
		{Name: AttachOpening, Description: "Metadata opening of the deposit", MediaType: "application/json", Data: openingJSON},
		{Name: AttachTimeStamp, Description: "RFC 3161 time-stamp token of the checkpoint", MediaType: "application/timestamp-reply", Data: in.CheckpointToken},
		{Name: AttachPolicy, Description: "The network's trust policy (C2SP tlog-policy)", MediaType: "text/plain", Data: in.PolicyText},
	})
	if raced && err == nil {
		if attempt >= 3 {
			return nil, nil, errors.New("the seal or time-stamping key rotated during each of three attempts to seal the certificate; try again")
		}
		return is.issue(in, attempt+1)
	}
	if err != nil {
		return nil, nil, err
	}
	// Never hand out what a verifier would refuse. The page is the one
	// just rendered from d, so it is not rendered again.
	if _, err := is.verifier.verify(pdf, Options{Policy: in.Policy, CRL: is.CRL()}, page); err != nil {
		return nil, nil, fmt.Errorf("the certificate just sealed does not verify: %w", err)
	}
	return pdf, d, nil
}

// seal renders d's page (unless page is given) and seals it with the
// proofs attached, beside certificate.json, the endorsement and the CRL.
// raced reports a rotation
// of the seal or time-stamping key while sealing: it supersedes the old key
// from its time on, which may precede the seal's time-stamp, so the caller
// seals again.
func (is *Issuer) seal(d *Data, page []byte, proofs []certpdf.Attachment) (pdf []byte, raced bool, err error) {
	if page == nil {
		doc, err := document(d)
		if err != nil {
			return nil, false, err
		}
		if page, err = is.renderer.Render(doc); err != nil {
			return nil, false, fmt.Errorf("rendering the certificate: %w", err)
		}
	}
	dataJSON, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, false, err
	}
	seal, err := is.cfg.Keyring.Current(pki.RoleSeal)
	if err != nil {
		return nil, false, err
	}
	authority, err := is.Authority()
	if err != nil {
		return nil, false, err
	}
	scheme := is.cfg.Suite.Certificates()
	sign := func(signed []byte) ([]byte, error) {
		return cms.Sign(cms.Signer{Scheme: scheme, Cert: seal.Cert, Chain: seal.Chain, Key: seal.Key, Rand: is.cfg.Rand}, cms.SignOptions{
			ContentType: cms.OIDData(),
			Content:     signed,
			Detached:    true,
			TimeStamp: func(signature []byte) ([]byte, error) {
				h := scheme.NewHash()
				h.Write(signature)
				nonce, err := rand.Int(is.cfg.Rand, new(big.Int).Lsh(big.NewInt(1), 63))
				if err != nil {
					return nil, err
				}
				return authority.Stamp(&tsa.Request{HashAlgorithm: scheme.DigestOID(), HashedMessage: h.Sum(nil), Nonce: nonce, CertReq: true})
			},
		})
	}
	attachments := append([]certpdf.Attachment{
		{Name: AttachData, Description: "What this certificate states", MediaType: "application/json", Data: dataJSON},
	}, proofs...)
	attachments = append(attachments,
		certpdf.Attachment{Name: AttachEndorsement, Description: "The institution's endorsement of its certificate authority", MediaType: "text/plain", Data: is.cfg.Endorsement},
		certpdf.Attachment{Name: AttachCRL, Description: "The institution's certificate revocation list", MediaType: "application/pkix-crl", Data: is.cfg.Keyring.CRL()},
	)
	pdf, err = certpdf.Seal(page, certpdf.SealOptions{
		Name:        is.cfg.Institution.Name,
		Reason:      "电子数据存证证明 / Certificate of electronic evidence deposit " + d.Number,
		Location:    d.Origin,
		Time:        d.Issued,
		Attachments: attachments,
		Sign:        sign,
	})
	if err != nil {
		return nil, false, fmt.Errorf("sealing the certificate: %w", err)
	}
	if now, err := is.cfg.Keyring.Current(pki.RoleSeal); err != nil || !now.Cert.Equal(seal.Cert) {
		return nil, err == nil, err
	}
	if a, err := is.Authority(); err != nil || a != authority {
		return nil, err == nil, err
	}
	return pdf, false, nil
}

// Verify verifies a certificate, with the issuer's fonts.
func (is *Issuer) Verify(pdf []byte, o Options) (*Result, error) { return is.verifier.Verify(pdf, o) }

// CA returns the institution's certificate authority.
func (is *Issuer) CA() *smx509.Certificate { return is.cfg.Keyring.CA() }

// CRL returns the institution's current revocation list (DER).
func (is *Issuer) CRL() []byte { return is.cfg.Keyring.CRL() }

// Endorsement returns the institution's endorsement of its certificate
// authority.
func (is *Issuer) Endorsement() []byte { return is.cfg.Endorsement }

// History lists every seal and time-stamping credential the institution
// has held, oldest first.
func (is *Issuer) History() []pki.Entry { return is.cfg.Keyring.History() }

func captureOf(c *deposit.Capture) *Capture {
	if c == nil {
		return nil
	}
	return &Capture{Time: c.Time, Address: c.Address, Latitude: c.Latitude, Longitude: c.Longitude, Device: c.Device, SourceURL: c.SourceURL}
}
