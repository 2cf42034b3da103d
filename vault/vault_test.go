package vault_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/vault"
)

// newVault opens a vault of the international suite on disk.
func newVault(t testing.TB, dir string, key []byte) *vault.Vault {
	return newVaultIn(t, suite.International(), dir, key)
}

// newVaultIn opens a vault of the suite cs on disk.
func newVaultIn(t testing.TB, cs *suite.Suite, dir string, key []byte) *vault.Vault {
	t.Helper()
	disk, err := vault.NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(cs, key, disk)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// digest is the international suite's content digest of b.
func digest(b []byte) []byte { return digestIn(suite.International(), b) }

// digestIn is the content digest of b under the suite cs.
func digestIn(cs *suite.Suite, b []byte) []byte {
	h := cs.Hash(b)
	return h[:]
}

// objectFile is where the disk backend keeps the object of a digest.
func objectFile(dir string, d []byte) string {
	name := hex.EncodeToString(d)
	return filepath.Join(dir, name[:2], name)
}

// files lists every file under dir.
func files(t *testing.T, dir string) []string {
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRoundTrip stores originals of sizes around the segment boundaries
// in a vault of each suite and reads them back.
func TestRoundTrip(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { testRoundTrip(t, cs) })
	}
}

func testRoundTrip(t *testing.T, cs *suite.Suite) {
	ctx := context.Background()
	dir := t.TempDir()
	v := newVaultIn(t, cs, dir, randomBytes(t, vault.KeySize))
	digest := func(b []byte) []byte { return digestIn(cs, b) }
	for _, size := range []int{0, 1, seg - 17, seg - 16, seg, 3*seg + 5} {
		content := randomBytes(t, size)
		d := digest(content)
		n, err := v.Put(ctx, d, bytes.NewReader(content))
		if err != nil || n != int64(size) {
			t.Fatalf("size %d: Put = %d, %v", size, n, err)
		}
		stored, err := os.ReadFile(objectFile(dir, d))
		if err != nil {
			t.Fatal(err)
		}
		if size >= 32 && bytes.Contains(stored, content[:32]) {
			t.Fatalf("size %d: the stored object contains the plaintext", size)
		}
		r, err := v.Get(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("size %d: read back %d bytes, %v", size, len(got), err)
		}
		if ok, err := v.Has(ctx, d); !ok || err != nil {
			t.Fatalf("size %d: Has = %v, %v", size, ok, err)
		}
	}
	// Storing the same original again is harmless.
	content := []byte("the same photo")
	for range 2 {
		if _, err := v.Put(ctx, digest(content), bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
}

// failingReader yields some bytes, then an error.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

// TestFailedUploadStoresNothing checks, in a vault of each suite, that an
// upload that does not match its digest or breaks off leaves nothing.
func TestFailedUploadStoresNothing(t *testing.T) {
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) { testFailedUploadStoresNothing(t, cs) })
	}
}

func testFailedUploadStoresNothing(t *testing.T, cs *suite.Suite) {
	ctx := context.Background()
	dir := t.TempDir()
	v := newVaultIn(t, cs, dir, randomBytes(t, vault.KeySize))
	digest := func(b []byte) []byte { return digestIn(cs, b) }
	content := randomBytes(t, 3<<20)
	for _, tc := range []struct {
		name   string
		digest []byte
		r      io.Reader
		want   error
		// tooBig: the error says the body was longer than its limit.
		tooBig bool
	}{
		{"declared digest of other content", digest([]byte("something else")), bytes.NewReader(content), vault.ErrDigestMismatch, false},
		{"one byte short", digest(content), bytes.NewReader(content[:len(content)-1]), vault.ErrDigestMismatch, false},
		{"upload broken off", digest(content), &failingReader{n: 2 << 20}, nil, false},
		// An upload longer than its deposit declares, cut off by the API.
		{"longer than declared", digest(content), http.MaxBytesReader(nil, io.NopCloser(io.MultiReader(bytes.NewReader(content), bytes.NewReader(content))), int64(len(content))), nil, true},
	} {
		_, err := v.Put(ctx, tc.digest, tc.r)
		var tooBig *http.MaxBytesError
		if tc.tooBig && !errors.As(err, &tooBig) {
			t.Errorf("%s: Put error %v does not say the body was too large", tc.name, err)
		}
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: Put error %v, want %v", tc.name, err, tc.want)
		}
		if ok, _ := v.Has(ctx, tc.digest); ok {
			t.Errorf("%s: the vault holds an object", tc.name)
		}
		if left := files(t, dir); len(left) != 0 {
			t.Errorf("%s: files left behind: %v", tc.name, left)
		}
	}
	if _, err := v.Put(ctx, []byte("short"), bytes.NewReader(nil)); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Errorf("a digest of 5 bytes: %v", err)
	}
}

// TestAlteredObjectsDoNotRead alters a stored object of each suite (a
// flipped byte in the header, the wrapped key or a segment, a truncation
// inside a segment and at a segment boundary, appended bytes, swapped,
// repeated and dropped segments, another digest's object) and checks that
// it never reads back, and that the restored object does.
func TestAlteredObjectsDoNotRead(t *testing.T) {
	for _, tc := range []struct {
		cs *suite.Suite
		// firstSegment is where the first full ciphertext segment after
		// the first starts: the vault header (5-byte magic, 12-byte
		// nonce, 48-byte wrapped key) plus the stream's header and first
		// segment. Tink's first segment is shortened by its header, the
		// GM stream's is not.
		secondSegment int
	}{
		{suite.International(), 65 + seg},
		{suite.GM(), 65 + 39 + seg},
	} {
		t.Run(tc.cs.Name(), func(t *testing.T) { testAlteredObjectsDoNotRead(t, tc.cs, tc.secondSegment) })
	}
}

const seg = 1 << 20

func testAlteredObjectsDoNotRead(t *testing.T, cs *suite.Suite, second int) {
	ctx := context.Background()
	dir := t.TempDir()
	key := randomBytes(t, vault.KeySize)
	v := newVaultIn(t, cs, dir, key)
	digest := func(b []byte) []byte { return digestIn(cs, b) }
	content := randomBytes(t, 3*seg+100)
	other := []byte("another original")
	d, od := digest(content), digest(other)
	for _, c := range [][]byte{content, other} {
		if _, err := v.Put(ctx, digest(c), bytes.NewReader(c)); err != nil {
			t.Fatal(err)
		}
	}
	good, err := os.ReadFile(objectFile(dir, d))
	if err != nil {
		t.Fatal(err)
	}
	lastSegment := len(good) - (second + 2*seg) // the ciphertext after the third segment
	if lastSegment <= 16 || lastSegment > seg {
		t.Fatalf("the object's layout is not the one this test expects: %d bytes after three segments", lastSegment)
	}
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	s1, s2 := good[second:second+seg], good[second+seg:second+2*seg]
	head, tail := good[:second], good[second+2*seg:]
	for _, tc := range []struct {
		name   string
		stored []byte
	}{
		{"magic", flip(0)},
		{"wrapped key", flip(30)},
		{"stream header", flip(70)},
		{"first segment", flip(200)},
		{"second segment", flip(second + 5)},
		{"last byte", flip(len(good) - 1)},
		{"last segment dropped", good[:len(good)-lastSegment]},
		{"cut at a segment boundary", good[:second+seg]},
		{"truncated mid-segment", good[:len(good)/2]},
		{"a byte appended", cat(good, []byte{0})},
		{"a segment appended", cat(good, s2)},
		{"segments swapped", cat(head, s2, s1, tail)},
		{"a segment repeated", cat(head, s1, s1, tail)},
		{"a segment dropped", cat(head, s2, tail)},
		{"header only", good[:70]},
		{"empty", nil},
	} {
		if err := os.WriteFile(objectFile(dir, d), tc.stored, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := readAll(ctx, v, d); err == nil {
			t.Errorf("%s: read %d bytes from an altered object without error", tc.name, len(got))
		}
	}
	// Another digest's object under this digest's name.
	otherObject, _ := os.ReadFile(objectFile(dir, od))
	os.WriteFile(objectFile(dir, d), otherObject, 0o600)
	if _, err := readAll(ctx, v, d); err == nil {
		t.Error("another original's object read under this digest")
	}
	// The right object, another node's master key.
	os.WriteFile(objectFile(dir, d), good, 0o600)
	if _, err := readAll(ctx, newVaultIn(t, cs, dir, randomBytes(t, vault.KeySize)), d); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Errorf("read with another master key: %v", err)
	}
	if got, err := readAll(ctx, v, d); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the restored object: %v", err)
	}
	if _, err := v.Get(ctx, digest([]byte("never stored"))); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("missing original: %v", err)
	}
}

// TestSuitesDoNotReadEachOther checks that a vault of one suite refuses
// the objects of the other, saying so, with the same master key.
func TestSuitesDoNotReadEachOther(t *testing.T) {
	ctx := context.Background()
	key := randomBytes(t, vault.KeySize)
	for _, cs := range suite.All() {
		for _, other := range suite.All() {
			if other.Name() == cs.Name() {
				continue
			}
			dir := t.TempDir()
			content := []byte("an original")
			d := digestIn(other, content)
			if _, err := newVaultIn(t, other, dir, key).Put(ctx, d, bytes.NewReader(content)); err != nil {
				t.Fatal(err)
			}
			_, err := readAll(ctx, newVaultIn(t, cs, dir, key), d)
			if err == nil || !strings.Contains(err.Error(), "an object of the "+other.String()+" suite") {
				t.Errorf("a %s vault reading a %s object: %v", cs.Name(), other.Name(), err)
			}
		}
	}
}

// TestInternationalFormatUnchanged reads an object stored before the
// vault knew of suites (testdata/intl-v1, master key 32 bytes of 7): the
// international format must not change.
func TestInternationalFormatUnchanged(t *testing.T) {
	content := bytes.Repeat([]byte("a golden original of the international vault format\n"), 4)
	v := newVault(t, "testdata/intl-v1", bytes.Repeat([]byte{7}, vault.KeySize))
	got, err := readAll(context.Background(), v, digest(content))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the golden object reads back %q, %v", got, err)
	}
}

// TestGMFormatUnchanged reads a GM object stored when the format was
// first written (testdata/gm-v1, master key 32 bytes of 7): a change to
// its key derivation, nonces or layout would make stored originals
// unreadable.
func TestGMFormatUnchanged(t *testing.T) {
	content := bytes.Repeat([]byte("a golden original of the GM vault format\n"), 4)
	v := newVaultIn(t, suite.GM(), "testdata/gm-v1", bytes.Repeat([]byte{7}, vault.KeySize))
	d := suite.GM().Hash(content)
	got, err := readAll(context.Background(), v, d[:])
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the golden object reads back %q, %v", got, err)
	}
}

func readAll(ctx context.Context, v *vault.Vault, d []byte) ([]byte, error) {
	r, err := v.Get(ctx, d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// FuzzStoredObject feeds arbitrary bytes as a stored object: reading it
// never panics, and whatever reads without error has the object's digest.
// The object is read by a vault of each suite, with the seeds of both.
func FuzzStoredObject(f *testing.F) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, vault.KeySize)
	content := []byte("a seed original")
	type reader struct {
		v   *vault.Vault
		dir string
		d   []byte
		cs  *suite.Suite
	}
	var readers []reader
	for _, cs := range suite.All() {
		d := digestIn(cs, content)
		seedDir := f.TempDir()
		if _, err := newVaultIn(f, cs, seedDir, key).Put(ctx, d, bytes.NewReader(content)); err != nil {
			f.Fatal(err)
		}
		obj, err := os.ReadFile(objectFile(seedDir, d))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(obj)
		f.Add(obj[:40])
		dir := f.TempDir()
		readers = append(readers, reader{newVaultIn(f, cs, dir, key), dir, d, cs})
	}
	f.Fuzz(func(t *testing.T, stored []byte) {
		for _, r := range readers {
			os.MkdirAll(filepath.Dir(objectFile(r.dir, r.d)), 0o700)
			if err := os.WriteFile(objectFile(r.dir, r.d), stored, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readAll(ctx, r.v, r.d)
			if err == nil && !bytes.Equal(digestIn(r.cs, got), r.d) {
				t.Fatalf("%s: read %d bytes that are not the original", r.cs.Name(), len(got))
			}
		}
	})
}

// TestOpenSweepsPartialUploads checks that the partial files a crash left
// behind are removed when the vault opens, and that objects stay.
func TestOpenSweepsPartialUploads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := randomBytes(t, vault.KeySize)
	content := []byte("an original that was stored")
	if _, err := newVault(t, dir, key).Put(ctx, digest(content), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	obj := objectFile(dir, digest(content))
	leftovers := []string{obj + ".123456.partial", filepath.Join(dir, "ab", "ab01.987.partial")}
	for _, p := range leftovers {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("cut off by a crash"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	v := newVault(t, dir, key)
	if got := files(t, dir); len(got) != 1 || got[0] != obj {
		t.Fatalf("after reopening, the vault directory holds %v, want only %s", got, obj)
	}
	rc, err := v.Get(ctx, digest(content))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the stored original after the sweep: %q %v", got, err)
	}
}
