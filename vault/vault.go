// Package vault keeps the originals of deposited evidence encrypted at
// rest, addressed by their SHA-256 digest.
//
// Each original gets its own random 256-bit key. The content is encrypted
// as a stream with AES-256-GCM in 1 MiB segments (Tink's streaming AEAD
// AES-GCM-HKDF: every segment authenticated, reordering and truncation
// detected), with the digest as associated data so an object cannot pass
// for another. The file key is wrapped with the node's master key by
// AES-256-GCM and stored in the object's header, so the objects and the
// master key are enough to read everything back. Memory use does not
// depend on the size of the original: both directions stream.
package vault

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/tink-crypto/tink-go/v2/streamingaead/subtle"
)

// KeySize is the size of the master key and of every file key.
const KeySize = 32

// segmentSize is the ciphertext segment of the stream: large enough that
// the 16-byte tags cost nothing, small enough to keep memory flat.
const segmentSize = 1 << 20

// magic starts every object and names its format.
var magic = []byte("JVLT1")

// Errors a caller can act on.
var (
	// ErrNotFound means the vault holds no original with that digest.
	ErrNotFound = errors.New("no original with this digest in the vault")
	// ErrDigestMismatch means the uploaded content does not have the
	// digest it was declared with; nothing was stored.
	ErrDigestMismatch = errors.New("the uploaded content does not match its declared SHA-256 digest")
)

// Backend stores opaque objects. An object written by Put must become
// visible only once r is read to its end; if reading r fails, nothing
// may be left behind.
type Backend interface {
	Put(ctx context.Context, name string, r io.Reader) error
	// Get returns ErrNotFound (wrapped or not) for a missing object.
	Get(ctx context.Context, name string) (io.ReadCloser, error)
	Exists(ctx context.Context, name string) (bool, error)
	Delete(ctx context.Context, name string) error
}

// Vault encrypts originals into a Backend.
type Vault struct {
	master  cipher.AEAD
	backend Backend
}

// New returns a vault whose file keys are wrapped with masterKey.
func New(masterKey []byte, backend Backend) (*Vault, error) {
	if len(masterKey) != KeySize {
		return nil, fmt.Errorf("vault master key: %d bytes, want %d", len(masterKey), KeySize)
	}
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, err
	}
	master, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Vault{master: master, backend: backend}, nil
}

// NewMasterKey returns a fresh random master key.
func NewMasterKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generating the vault master key: %w", err)
	}
	return k, nil
}

func objectName(digest []byte) string { return hex.EncodeToString(digest) }

// associatedData binds a ciphertext (and its wrapped key) to its digest.
func associatedData(digest []byte) []byte {
	return append([]byte("jurichain vault original sha256:"), digest...)
}

func checkDigest(digest []byte) error {
	if len(digest) != sha256.Size {
		return fmt.Errorf("digest: %d bytes, want a SHA-256 of %d", len(digest), sha256.Size)
	}
	return nil
}

// Has reports whether the vault holds the original with this digest.
func (v *Vault) Has(ctx context.Context, digest []byte) (bool, error) {
	if err := checkDigest(digest); err != nil {
		return false, err
	}
	return v.backend.Exists(ctx, objectName(digest))
}

// Put reads an original from r and stores it encrypted under digest,
// which must be the SHA-256 of what r yields; otherwise nothing is
// stored and the error is ErrDigestMismatch. It returns the number of
// bytes read. Storing an original the vault already holds succeeds.
func (v *Vault) Put(ctx context.Context, digest []byte, r io.Reader) (int64, error) {
	if err := checkDigest(digest); err != nil {
		return 0, err
	}
	fileKey := make([]byte, KeySize)
	if _, err := rand.Read(fileKey); err != nil {
		return 0, fmt.Errorf("generating a file key: %w", err)
	}
	aad := associatedData(digest)
	stream, err := subtle.NewAESGCMHKDF(fileKey, "SHA256", KeySize, segmentSize, 0)
	if err != nil {
		return 0, err
	}
	header, err := v.wrapHeader(fileKey, aad)
	if err != nil {
		return 0, err
	}
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum := sha256.New()
		n, err := encrypt(pw, header, stream, aad, io.TeeReader(r, sum), sum, digest)
		pw.CloseWithError(err) // nil: the backend sees the end and commits
		done <- result{n, err}
	}()
	putErr := v.backend.Put(ctx, objectName(digest), pr)
	// If the backend stopped early, this unblocks the encrypter.
	pr.CloseWithError(errors.New("the vault backend stopped reading"))
	res := <-done
	switch {
	case errors.Is(res.err, ErrDigestMismatch):
		return res.n, ErrDigestMismatch
	case putErr != nil:
		return res.n, fmt.Errorf("storing the original: %w", putErr)
	case res.err != nil:
		return res.n, res.err
	}
	return res.n, nil
}

// encrypt writes the header and the encrypted stream to w. It checks the
// digest after the last byte is read but before the final segment is
// written, so a mismatched upload never reaches a complete object.
func encrypt(w io.Writer, header []byte, stream *subtle.AESGCMHKDF, aad []byte, r io.Reader, sum hash.Hash, digest []byte) (int64, error) {
	if _, err := w.Write(header); err != nil {
		return 0, err
	}
	enc, err := stream.NewEncryptingWriter(w, aad)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(enc, r)
	if err != nil {
		return n, fmt.Errorf("reading the upload: %w", err)
	}
	if !bytes.Equal(sum.Sum(nil), digest) {
		return n, ErrDigestMismatch
	}
	return n, enc.Close()
}

// wrapHeader is the object header: magic, then the file key sealed with
// the master key.
func (v *Vault) wrapHeader(fileKey, aad []byte) ([]byte, error) {
	nonce := make([]byte, v.master.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generating a nonce: %w", err)
	}
	h := append(bytes.Clone(magic), nonce...)
	return v.master.Seal(h, nonce, fileKey, aad), nil
}

// Get returns a reader of the original with this digest. Reading it
// fails if the stored object was altered, truncated or belongs to
// another digest, or if the master key is not the one it was stored with.
func (v *Vault) Get(ctx context.Context, digest []byte) (io.ReadCloser, error) {
	if err := checkDigest(digest); err != nil {
		return nil, err
	}
	obj, err := v.backend.Get(ctx, objectName(digest))
	if err != nil {
		return nil, err
	}
	r, err := v.open(obj, associatedData(digest))
	if err != nil {
		obj.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, obj}, nil
}

func (v *Vault) open(obj io.Reader, aad []byte) (io.Reader, error) {
	header := make([]byte, len(magic)+v.master.NonceSize()+KeySize+v.master.Overhead())
	if _, err := io.ReadFull(obj, header); err != nil {
		return nil, fmt.Errorf("stored original is damaged: short header: %w", err)
	}
	if !bytes.HasPrefix(header, magic) {
		return nil, errors.New("stored original is damaged: not a vault object")
	}
	nonce := header[len(magic) : len(magic)+v.master.NonceSize()]
	fileKey, err := v.master.Open(nil, nonce, header[len(magic)+len(nonce):], aad)
	if err != nil {
		return nil, errors.New("stored original: its key does not open with this node's master key (another key, or another digest's object)")
	}
	stream, err := subtle.NewAESGCMHKDF(fileKey, "SHA256", KeySize, segmentSize, 0)
	if err != nil {
		return nil, err
	}
	r, err := stream.NewDecryptingReader(obj, aad)
	if err != nil {
		return nil, fmt.Errorf("stored original is damaged: %w", err)
	}
	return r, nil
}
