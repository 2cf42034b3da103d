package office_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/jurichain/jurichain/office"
	"github.com/jurichain/jurichain/suite"
)

func TestCheckpointTokens(t *testing.T) {
	o, err := office.Open(suite.International(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ctx := t.Context()
	if _, _, err := o.FirstCheckpointToken(ctx, 1); !errors.Is(err, office.ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	for _, size := range []uint64{5, 300, 2} {
		if _, err := o.PutCheckpointToken(ctx, size, []byte{byte(size)}); err != nil {
			t.Fatal(err)
		}
	}
	// The first token kept for a size stays.
	kept, err := o.PutCheckpointToken(ctx, 5, []byte("later"))
	if err != nil || !bytes.Equal(kept, []byte{5}) {
		t.Fatalf("second token for size 5: kept %q, %v", kept, err)
	}
	for _, tc := range []struct{ atLeast, size uint64 }{{1, 2}, {2, 2}, {3, 5}, {6, 300}, {300, 300}} {
		size, tok, err := o.FirstCheckpointToken(ctx, tc.atLeast)
		if err != nil || size != tc.size || !bytes.Equal(tok, []byte{byte(tc.size)}) {
			t.Errorf("at least %d: size %d token %v, %v; want %d", tc.atLeast, size, tok, err, tc.size)
		}
	}
	if _, _, err := o.FirstCheckpointToken(ctx, 301); !errors.Is(err, office.ErrNotFound) {
		t.Fatalf("beyond the last: %v", err)
	}
	if err := o.ReplaceCheckpointToken(ctx, 5, []byte("fresh")); err != nil {
		t.Fatal(err)
	}
	if tok, err := o.CheckpointToken(ctx, 5); err != nil || string(tok) != "fresh" {
		t.Fatalf("after replacing: %q, %v", tok, err)
	}
}

func TestCertificates(t *testing.T) {
	o, err := office.Open(suite.GM(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ctx := t.Context()
	c := office.Certificate{Number: "JC-AAAAA-BBBBB-CCCCC-DDDDD", Deposit: "dep1", PDF: []byte("%PDF-1")}
	if _, err := o.PutCertificate(ctx, c); err != nil {
		t.Fatal(err)
	}
	// A second certificate for the same deposit is not kept: downloads
	// return the first.
	again, err := o.PutCertificate(ctx, office.Certificate{Number: c.Number, Deposit: "dep1", PDF: []byte("%PDF-2")})
	if err != nil || !bytes.Equal(again.PDF, c.PDF) {
		t.Fatalf("second issue: %+v, %v", again, err)
	}
	byNumber, err := o.CertificateByNumber(ctx, c.Number)
	if err != nil || byNumber.Deposit != "dep1" {
		t.Fatalf("by number: %+v, %v", byNumber, err)
	}
	of, err := o.CertificateOf(ctx, "dep1")
	if err != nil || of.Number != c.Number {
		t.Fatalf("of deposit: %+v, %v", of, err)
	}
	if _, err := o.CertificateByNumber(ctx, "JC-NOPE"); !errors.Is(err, office.ErrNotFound) {
		t.Fatalf("unknown number: %v", err)
	}
	if _, err := o.CertificateOf(ctx, "dep2"); !errors.Is(err, office.ErrNotFound) {
		t.Fatalf("deposit without certificate: %v", err)
	}
	// Issued again under the same number, it replaces the first.
	if err := o.ReplaceCertificate(ctx, office.Certificate{Number: c.Number, Deposit: "dep1", PDF: []byte("%PDF-3")}); err != nil {
		t.Fatal(err)
	}
	if of, err := o.CertificateOf(ctx, "dep1"); err != nil || string(of.PDF) != "%PDF-3" {
		t.Fatalf("after replacing: %+v, %v", of, err)
	}
	if err := o.ReplaceCertificate(ctx, office.Certificate{Number: "JC-OTHER", Deposit: "dep1"}); err == nil {
		t.Fatal("replaced a certificate under another number")
	}
	if err := o.ReplaceCertificate(ctx, office.Certificate{Number: c.Number, Deposit: "dep2"}); !errors.Is(err, office.ErrNotFound) {
		t.Fatalf("replaced the certificate of a deposit that has none: %v", err)
	}
}
