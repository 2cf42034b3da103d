package vault

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/suite"
)

// smallSegment makes streams of many segments out of a few bytes.
const smallSegment = 16 + 8

// sealGM encrypts plain into a GM stream of small segments.
func sealGM(t testing.TB, s *gmStream, plain, aad []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := s.NewEncryptingWriter(&buf, aad)
	if err != nil {
		t.Fatal(err)
	}
	// Uneven writes: segment boundaries must not depend on them.
	for len(plain) > 0 {
		n := min(len(plain), 5)
		if _, err := w.Write(plain[:n]); err != nil {
			t.Fatal(err)
		}
		plain = plain[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openGM(s *gmStream, stored, aad []byte) ([]byte, error) {
	r, err := s.NewDecryptingReader(bytes.NewReader(stored), aad)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func testGMStream(t testing.TB) *gmStream {
	s, err := newGMStream(suite.GM(), bytes.Repeat([]byte{9}, KeySize), smallSegment)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGMStreamRoundTrip checks every length around the segment size,
// including none and exact multiples (whose last segment is full).
func TestGMStreamRoundTrip(t *testing.T) {
	s := testGMStream(t)
	aad := []byte("aad")
	for n := range 5 * smallSegment {
		plain := make([]byte, n)
		rand.Read(plain)
		stored := sealGM(t, s, plain, aad)
		plainSeg := smallSegment - gmTagSize
		segments := n/plainSeg + 1
		if n > 0 && n%plainSeg == 0 {
			segments-- // the last segment is a full one
		}
		if want := gmHeaderSize + n + segments*gmTagSize; len(stored) != want {
			t.Fatalf("%d bytes: stored %d, want %d", n, len(stored), want)
		}
		got, err := openGM(s, stored, aad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes: read back %x, %v", n, got, err)
		}
		if _, err := openGM(s, stored, []byte("other aad")); err == nil {
			t.Fatalf("%d bytes: read under another digest's associated data", n)
		}
	}
}

// TestGMStreamTampering checks that every change to a stream of several
// segments is detected: a flipped bit anywhere, truncation at and between
// segment boundaries, appended bytes or segments, and segments swapped,
// repeated, dropped or taken from another stream of the same key.
func TestGMStreamTampering(t *testing.T) {
	s := testGMStream(t)
	aad := []byte("aad")
	plain := bytes.Repeat([]byte("0123456789"), 4) // five 8-byte segments, the last full
	stored := sealGM(t, s, plain, aad)
	h := gmHeaderSize
	segAt := func(b []byte, i int) []byte { return b[h+i*smallSegment : h+(i+1)*smallSegment] }
	if len(stored) != h+5*smallSegment {
		t.Fatalf("stored %d bytes", len(stored))
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	other := sealGM(t, s, bytes.Repeat([]byte("abcdefghij"), 4), aad)
	cases := map[string][]byte{
		"segments 1 and 2 swapped": cat(stored[:h], segAt(stored, 0), segAt(stored, 2), segAt(stored, 1), stored[h+3*smallSegment:]),
		"segment 1 repeated":       cat(stored[:h], segAt(stored, 0), segAt(stored, 1), segAt(stored, 1), stored[h+2*smallSegment:]),
		"segment 1 dropped":        cat(stored[:h], segAt(stored, 0), stored[h+2*smallSegment:]),
		"last segment dropped":     stored[:h+4*smallSegment],
		"cut inside a segment":     stored[:h+2*smallSegment+5],
		"cut to the header":        stored[:h],
		"cut inside the header":    stored[:h-1],
		"a byte appended":          cat(stored, []byte{0}),
		"a segment appended":       cat(stored, segAt(stored, 4)),
		"another stream's segment": cat(stored[:h], segAt(stored, 0), segAt(other, 1), stored[h+2*smallSegment:]),
		"another stream's header":  cat(other[:h], stored[h:]),
	}
	for i := range stored {
		b := bytes.Clone(stored)
		b[i] ^= 0x80
		if _, err := openGM(s, b, aad); err == nil {
			t.Errorf("bit flipped at byte %d: read without error", i)
		}
	}
	for name, b := range cases {
		if got, err := openGM(s, b, aad); err == nil {
			t.Errorf("%s: read %q without error", name, got)
		}
	}
	if got, err := openGM(s, stored, aad); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("the unaltered stream: %v", err)
	}
}

// TestGMStreamReadsNothingUnauthenticated checks that a reader returns
// no plaintext of a segment that does not authenticate.
func TestGMStreamReadsNothingUnauthenticated(t *testing.T) {
	s := testGMStream(t)
	stored := sealGM(t, s, []byte("0123456789abcdef0123"), nil)
	stored[gmHeaderSize+smallSegment+1] ^= 1 // segment 1
	r, err := s.NewDecryptingReader(bytes.NewReader(stored), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err == nil || !bytes.Equal(got, []byte("01234567")) {
		t.Fatalf("read %q, %v: want segment 0 only, then an error", got, err)
	}
}

// FuzzGMStream feeds arbitrary bytes to the GM stream reader (the stream
// header and segments): it never panics, and whatever reads without error
// is a stream the writer made, which only the seeds are.
func FuzzGMStream(f *testing.F) {
	s := testGMStream(f)
	aad := []byte("aad")
	plains := map[string]bool{}
	// testdata/fuzz/FuzzGMStream holds streams of "" and "0123456789abc".
	for _, p := range []string{"", "short", "exactly8", "0123456789abc", "0123456789abcdef0123456789"} {
		f.Add(sealGM(f, s, []byte(p), aad))
		plains[p] = true
	}
	f.Fuzz(func(t *testing.T, stored []byte) {
		got, err := openGM(s, stored, aad)
		if err == nil && !plains[string(got)] {
			t.Fatalf("read %q, which no stream of this key holds", got)
		}
	})
}

// cutReader returns its bytes, then io.ErrUnexpectedEOF, as an HTTP body
// whose connection was cut.
type cutReader struct{ r io.Reader }

func (c cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// TestGMStreamBackendCut checks that a store that stops mid-object is
// reported as a read error, not as a segment that does not authenticate.
func TestGMStreamBackendCut(t *testing.T) {
	s := testGMStream(t)
	stored := sealGM(t, s, bytes.Repeat([]byte("x"), 5*smallSegment), []byte("aad"))
	r, err := s.NewDecryptingReader(cutReader{bytes.NewReader(stored[:len(stored)/2])}, []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r)
	if !errors.Is(err, errBackendCut) || strings.Contains(err.Error(), "authenticate") {
		t.Fatalf("a cut read: %v", err)
	}
}
