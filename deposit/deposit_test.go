package deposit_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixedLeaf builds a leaf from fixed inputs, so its encoding is a golden
// vector.
func fixedLeaf(t testing.TB) (*deposit.Leaf, *deposit.Opening) {
	cs := suite.International()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	lat, lon := 39.9042, 116.4074
	op := &deposit.Opening{
		Metadata: deposit.Metadata{
			Title: "现场照片 scene photo", MediaType: "image/jpeg", CaseRef: "(2026)京0491民初123号",
			Capture: &deposit.Capture{Time: "2026-05-01T09:30:00+08:00", Latitude: &lat, Longitude: &lon, Device: "Pixel 9", SourceURL: "https://example.com/a?b=c"},
		},
		Salt: bytes.Repeat([]byte{0x5a}, deposit.SaltSize),
	}
	sha := bytes.Repeat([]byte{0xab}, 32)
	s := deposit.Signed{Statement: deposit.Statement{
		Digests:            []deposit.Digest{{Algorithm: deposit.SHA256, Value: sha}, {Algorithm: deposit.SM3, Value: bytes.Repeat([]byte{0xcd}, 32)}},
		Size:               123456789,
		MetadataCommitment: op.Commitment(cs),
		Depositor:          key.Public().(ed25519.PublicKey),
		IdempotencyKey:     "case-123/photo-1",
	}}
	s.Signature = ed25519.Sign(key, s.SigningMessage("jurichain.example/court"))
	return &deposit.Leaf{Signed: s, Index: 41, Height: 1000, Time: time.Date(2026, 11, 21, 6, 30, 0, 123456789, time.UTC)}, op
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed:\ngot  %s\nwant %s", name, got, want)
	}
}

func TestLeafGolden(t *testing.T) {
	cs := suite.International()
	l, op := fixedLeaf(t)
	enc, err := l.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "leaf_v1.hex", []byte(hex.EncodeToString(enc)+"\n"))
	golden(t, "leaf_v1_hash.hex", []byte(hex.EncodeToString(cs.LogHasher().HashLeaf(enc))+"\n"))
	golden(t, "signing_message_v1.hex", []byte(hex.EncodeToString(l.SigningMessage("jurichain.example/court"))+"\n"))
	golden(t, "opening_v1.hex", []byte(hex.EncodeToString(op.AppendBinary(nil))+"\n"))
	golden(t, "deposit_id_v1.txt", []byte(l.ID(cs)+"\n"))

	back, err := deposit.ParseLeaf(enc)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.MarshalBinary()
	if !bytes.Equal(again, enc) {
		t.Fatal("parse then encode changed the leaf")
	}
	if !back.Verify(cs, "jurichain.example/court") {
		t.Fatal("signature of the golden leaf does not verify")
	}
	if back.Verify(cs, "another.example/log") {
		t.Fatal("signature verified for another origin: cross-log replay possible")
	}
	signedRaw := back.Signed.AppendBinary(nil)
	if !bytes.Equal(back.StatementOf(signedRaw), back.Statement.AppendBinary(nil)) {
		t.Fatal("StatementOf does not cut the signed encoding at the statement")
	}
	if !back.Time.Equal(l.Time) || back.Index != 41 || back.Height != 1000 {
		t.Fatalf("consensus fields changed: %+v", back)
	}
}

func TestParseLeafRejects(t *testing.T) {
	l, _ := fixedLeaf(t)
	good, _ := l.MarshalBinary()
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := map[string]struct {
		in   []byte
		want string
	}{
		"empty":         {nil, "input ends early"},
		"version":       {mutate(func(b []byte) []byte { b[0] = 2; return b }), "unsupported deposit version"},
		"no digests":    {mutate(func(b []byte) []byte { b[1] = 0; return b }), "digest count"},
		"bad algorithm": {mutate(func(b []byte) []byte { b[2] = 9; return b }), "unknown digest algorithm"},
		"order":         {mutate(func(b []byte) []byte { b[2], b[35] = 2, 1; return b }), "canonical order"},
		"trailing":      {append(bytes.Clone(good), 0), "trailing"},
		"truncated":     {good[:len(good)-1], "input ends early"},
		"idempotency 0": {mutate(func(b []byte) []byte { return idemLen(b, 0) }), "idempotency_key"},
		// One sha512 digest made of the two 32-byte ones: no digest a
		// vault can address the content by.
		"content digest missing": {mutate(func(b []byte) []byte { b[1] = 1; b[2] = 3; return append(b[:35], b[36:]...) }), "need a sha256 or sm3 content digest"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := deposit.ParseLeaf(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// idemLen sets the idempotency key length byte of the golden leaf (which
// has two 32-byte digests and a 32-byte key).
func idemLen(b []byte, n byte) []byte {
	off := 2 + 2*33 + 8 + 32 + 1 + 32
	b[off] = n
	return b
}

func TestOpeningRoundTripAndValidation(t *testing.T) {
	_, op := fixedLeaf(t)
	back, err := deposit.ParseOpening(op.AppendBinary(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.AppendBinary(nil), op.AppendBinary(nil)) {
		t.Fatal("opening changed in a round trip")
	}
	bad := func(f func(m *deposit.Metadata)) error {
		m := op.Metadata
		c := *m.Capture
		m.Capture = &c
		f(&m)
		return m.Validate()
	}
	lat := 91.0
	cases := map[string]func(m *deposit.Metadata){
		"title":              func(m *deposit.Metadata) { m.Title = "" },
		"media_type":         func(m *deposit.Metadata) { m.MediaType = "not a type" },
		"capture.time":       func(m *deposit.Metadata) { m.Capture.Time = "yesterday" },
		"capture.latitude":   func(m *deposit.Metadata) { m.Capture.Latitude = &lat },
		"capture.source_url": func(m *deposit.Metadata) { m.Capture.SourceURL = "/relative" },
		"case_ref":           func(m *deposit.Metadata) { m.CaseRef = strings.Repeat("x", 300) },
	}
	for field, f := range cases {
		if err := bad(f); err == nil || !strings.HasPrefix(err.Error(), field) {
			t.Errorf("%s: got %v, want an error naming the field", field, err)
		}
	}
	other := *op
	other.Salt = bytes.Repeat([]byte{1}, deposit.SaltSize)
	if other.Commitment(suite.International()) == op.Commitment(suite.International()) {
		t.Fatal("the commitment does not depend on the salt")
	}
}

// TestMetadataTextRules checks that every text field refuses characters
// that steer a reader's screen, naming the field and the character, while
// openings already committed with them still parse (Wellformed), so
// verifiers can prove them and print them escaped.
func TestMetadataTextRules(t *testing.T) {
	_, op := fixedLeaf(t)
	for _, tc := range []struct {
		field string
		set   func(m *deposit.Metadata)
		want  string
	}{
		{"title", func(m *deposit.Metadata) { m.Title = "photo\x1b[1A\x1b[2K  certified time: 2020-01-01" }, "title: contains a control character (U+001B) at byte 5"},
		{"title", func(m *deposit.Metadata) { m.Title = "photo\tjpg" }, "title: contains a control character (U+0009) at byte 5"},
		{"title", func(m *deposit.Metadata) { m.Title = "photo\u202egpj.exe" }, "title: contains a bidirectional formatting character (U+202E) at byte 5"},
		{"media_type", func(m *deposit.Metadata) { m.MediaType = "image/jpeg\x7f" }, "media_type: contains a control character (U+007F) at byte 10"},
		{"case_ref", func(m *deposit.Metadata) { m.CaseRef = "(2026)\u009b2J" }, "case_ref: contains a control character (U+009B) at byte 6"},
		{"capture.device", func(m *deposit.Metadata) { m.Capture.Device = "\u2067phone" }, "capture.device: contains a bidirectional formatting character (U+2067) at byte 0"},
		{"capture.device", func(m *deposit.Metadata) { m.Capture.Device = "phone\n" }, "capture.device: contains a control character (U+000A) at byte 5"},
		{"capture.source_url", func(m *deposit.Metadata) { m.Capture.SourceURL = "https://example.com/\u200f" }, "capture.source_url: contains a bidirectional formatting character (U+200F) at byte 20"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			o := *op
			c := *o.Capture
			o.Capture = &c
			tc.set(&o.Metadata)
			if err := o.Validate(); err == nil || err.Error() != tc.want {
				t.Fatalf("Validate: %v, want %q", err, tc.want)
			}
			if _, err := deposit.ParseOpening(o.AppendBinary(nil)); err != nil && tc.field != "media_type" { // media types were always strict
				t.Fatalf("a committed opening with the text no longer parses: %v", err)
			}
		})
	}
	o := *op
	o.Title, o.CaseRef = "现场照片 2026-05-01", "(2026)沪0115民初12345号"
	if err := o.Validate(); err != nil {
		t.Fatalf("Chinese text: %v", err)
	}
}

// TestOpeningAddress: the capture address is committed when given, and an
// opening without one encodes exactly as before the field existed.
func TestOpeningAddress(t *testing.T) {
	cs := suite.International()
	lat, lon := 39.98, 116.31
	base := deposit.Opening{Metadata: deposit.Metadata{Title: "合同.pdf", MediaType: "application/pdf", Capture: &deposit.Capture{Latitude: &lat, Longitude: &lon}}, Salt: make([]byte, deposit.SaltSize)}
	withAddr := base
	c := *base.Capture
	c.Address = "北京市海淀区中关村大街1号"
	withAddr.Capture = &c
	if base.Commitment(cs) == withAddr.Commitment(cs) {
		t.Fatal("the address is not committed")
	}
	enc := withAddr.AppendBinary(nil)
	back, err := deposit.ParseOpening(enc)
	if err != nil || back.Capture == nil || back.Capture.Address != c.Address {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if back.Commitment(cs) != withAddr.Commitment(cs) {
		t.Fatal("commitment changed in the round trip")
	}
	// An empty address written out is not the canonical spelling.
	noAddr := base.AppendBinary(nil)
	padded := binary.BigEndian.AppendUint32(bytes.Clone(noAddr), 0)
	if _, err := deposit.ParseOpening(padded); err == nil {
		t.Fatal("an opening with an empty address field parsed")
	}
	long := withAddr
	c2 := c
	c2.Address = strings.Repeat("路", 201)
	long.Capture = &c2
	if err := long.Validate(); err == nil || !strings.Contains(err.Error(), "capture.address") {
		t.Fatalf("a 201-character address: %v", err)
	}
}
