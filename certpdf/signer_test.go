package certpdf_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/jurichain/jurichain/suite"
)

// signer is a test institution: a CA and a seal certificate under it,
// ECDSA P-256 with SHA-256 in the international suite (NSS, behind
// pdfsig, has no Ed25519 signatures) and SM2 with SM3 in the GM suite.
type signer struct {
	cs   *suite.Suite
	ca   *smx509.Certificate
	leaf *smx509.Certificate
	key  crypto.Signer
}

func newSigner(t testing.TB, cs *suite.Suite) *signer {
	t.Helper()
	genKey := func() crypto.Signer {
		if cs.Name() == suite.NameGM {
			k, err := sm2.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey, leafKey := genKey(), genKey()
	caTmpl := &smx509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "haidian-court certificate authority", Organization: []string{"haidian-court"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := smx509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := smx509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &smx509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "haidian-court seal", Organization: []string{"haidian-court"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment,
	}
	leafDER, err := smx509.CreateCertificate(rand.Reader, leafTmpl, ca, leafKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := smx509.ParseCertificate(leafDER)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{cs: cs, ca: ca, leaf: leaf, key: leafKey}
}

// sign makes a detached CMS SignedData over signed, with the chain.
func (s *signer) sign(signed []byte) ([]byte, error) {
	var sd *pkcs7.SignedData
	var err error
	if s.cs.Name() == suite.NameGM {
		sd, err = pkcs7.NewSMSignedData(signed)
	} else {
		sd, err = pkcs7.NewSignedData(signed)
		if sd != nil {
			sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := sd.AddSignerChain(s.leaf, s.key, []*smx509.Certificate{s.ca}, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, err
	}
	sd.Detach()
	return sd.Finish()
}

// verify checks a detached CMS over signed and the chain to the CA.
func (s *signer) verify(cms, signed []byte) error {
	p7, err := pkcs7.Parse(cms)
	if err != nil {
		return err
	}
	p7.Content = signed
	pool := smx509.NewCertPool()
	pool.AddCert(s.ca)
	return p7.VerifyWithChain(pool)
}

func (s *signer) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.ca.Raw})
}

func (s *signer) leafPublicPEM(t testing.TB) []byte {
	der, err := smx509.MarshalPKIXPublicKey(s.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// signerInfoParts returns the DER of a CMS's signed attributes (as the
// SET that is signed), the signature, and the message digest attribute,
// for checking the signature with a tool outside Go.
func signerInfoParts(cms []byte) (attrs, sig, digest []byte, err error) {
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(cms, &ci); err != nil {
		return nil, nil, nil, fmt.Errorf("content info: %w", err)
	}
	var sd struct {
		Version      int
		Digests      asn1.RawValue
		Encap        asn1.RawValue
		Certificates asn1.RawValue   `asn1:"optional,tag:0"`
		SignerInfos  []asn1.RawValue `asn1:"set"`
	}
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, nil, nil, fmt.Errorf("signed data: %w", err)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, nil, nil, errors.New("not one signer")
	}
	var si struct {
		Version   int
		SID       asn1.RawValue
		DigestAlg asn1.RawValue
		Attrs     asn1.RawValue `asn1:"optional,tag:0"`
		SigAlg    asn1.RawValue
		Signature []byte
	}
	if _, err := asn1.Unmarshal(sd.SignerInfos[0].FullBytes, &si); err != nil {
		return nil, nil, nil, fmt.Errorf("signer info: %w", err)
	}
	// The signature covers the attributes with the SET tag, not [0].
	attrs = append([]byte{0x31}, si.Attrs.FullBytes[1:]...)
	var list []struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}
	if _, err := asn1.UnmarshalWithParams(attrs, &list, "set"); err != nil {
		return nil, nil, nil, fmt.Errorf("attributes: %w", err)
	}
	for _, a := range list {
		if a.Type.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}) && len(a.Values) == 1 {
			if _, err := asn1.Unmarshal(a.Values[0].FullBytes, &digest); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	return attrs, si.Signature, digest, nil
}
