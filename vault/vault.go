// Package vault keeps the originals of deposited evidence encrypted at
// rest, addressed by their content digest under the network's suite
// (SHA-256 on an international network, SM3 on a GM one).
//
// Each original gets its own random 256-bit key. The content is encrypted
// as a stream in 1 MiB segments, every segment authenticated and
// reordering and truncation detected, with the digest as associated data
// so an object cannot pass for another. The file key is wrapped with the
// node's master key and stored in the object's header, so the objects and
// the master key are enough to read everything back. Memory use does not
// depend on the size of the original: both directions stream.
//
// The international suite uses AES-256-GCM: Tink's streaming AEAD
// AES-GCM-HKDF for the content, AES-256-GCM for the key wrap (the format
// objects have always had). The GM suite uses SM4-GCM for both, with keys
// derived by HKDF over SM3 (gmstream.go).
package vault

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/emmansun/gmsm/sm4"
	"github.com/tink-crypto/tink-go/v2/streamingaead/subtle"

	"github.com/jurichain/jurichain/suite"
)

// KeySize is the size of the master key and of every file key.
const KeySize = 32

// segmentSize is the ciphertext segment of the stream: large enough that
// the 16-byte tags cost nothing, small enough to keep memory flat.
const segmentSize = 1 << 20

// The magics start every object and name its format: the international
// one (AES-GCM, Tink's stream) and the GM one (SM4-GCM, gmstream.go).
var (
	magicInternational = []byte("JVLT1")
	magicGM            = []byte("JVGM1")
)

// Errors a caller can act on.
var (
	// ErrNotFound means the vault holds no original with that digest.
	ErrNotFound = errors.New("no original with this digest in the vault")
	// ErrDigestMismatch means the uploaded content does not have the
	// digest it was declared with; nothing was stored.
	ErrDigestMismatch = errors.New("the uploaded content does not match its declared content digest")
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
	cs      *suite.Suite
	format  format
	master  cipher.AEAD
	backend Backend
}

// stream is a streaming AEAD: Tink's AES-GCM-HKDF, or gmStream.
type stream interface {
	NewEncryptingWriter(w io.Writer, aad []byte) (io.WriteCloser, error)
	NewDecryptingReader(r io.Reader, aad []byte) (io.Reader, error)
}

// format is how a suite's objects are encrypted.
type format struct {
	magic []byte
	// newMaster returns the AEAD that wraps file keys.
	newMaster func(masterKey []byte) (cipher.AEAD, error)
	// newStream returns the streaming AEAD of a file key.
	newStream func(fileKey []byte) (stream, error)
}

// formatOf returns the object format of the suite cs.
func formatOf(cs *suite.Suite) (format, error) {
	switch cs.Name() {
	case suite.NameInternational:
		return format{
			magic: magicInternational,
			newMaster: func(masterKey []byte) (cipher.AEAD, error) {
				block, err := aes.NewCipher(masterKey)
				if err != nil {
					return nil, err
				}
				return cipher.NewGCM(block)
			},
			newStream: func(fileKey []byte) (stream, error) {
				// Tink names its HKDF hash; the format is fixed by the
				// objects already stored, whatever the suite's hash.
				return subtle.NewAESGCMHKDF(fileKey, "SHA256", KeySize, segmentSize, 0)
			},
		}, nil
	case suite.NameGM:
		return format{
			magic: magicGM,
			newMaster: func(masterKey []byte) (cipher.AEAD, error) {
				// The master key stays 256 bits in every home; SM4 takes
				// 128, derived from it.
				k, err := hkdf.Key(cs.NewHash, masterKey, nil, "jurichain vault gm master wrap v1", sm4.BlockSize)
				if err != nil {
					return nil, err
				}
				return newSM4GCM(k)
			},
			newStream: func(fileKey []byte) (stream, error) {
				return newGMStream(cs, fileKey, segmentSize)
			},
		}, nil
	}
	return format{}, fmt.Errorf("vault: no at-rest encryption for the %s suite", cs)
}

// newSM4GCM returns SM4 in GCM mode under key.
func newSM4GCM(key []byte) (cipher.AEAD, error) {
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// New returns a vault for a network of the suite cs, whose file keys
// are wrapped with masterKey.
func New(cs *suite.Suite, masterKey []byte, backend Backend) (*Vault, error) {
	if len(masterKey) != KeySize {
		return nil, fmt.Errorf("vault master key: %d bytes, want %d", len(masterKey), KeySize)
	}
	f, err := formatOf(cs)
	if err != nil {
		return nil, err
	}
	master, err := f.newMaster(masterKey)
	if err != nil {
		return nil, fmt.Errorf("vault master key: %w", err)
	}
	return &Vault{cs: cs, format: f, master: master, backend: backend}, nil
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

// associatedData binds a ciphertext (and its wrapped key) to its digest
// and the digest's algorithm.
func (v *Vault) associatedData(digest []byte) []byte {
	return append([]byte("jurichain vault original "+v.cs.ContentDigest()+":"), digest...)
}

func (v *Vault) checkDigest(digest []byte) error {
	if len(digest) != suite.HashSize {
		return fmt.Errorf("digest: %d bytes, want %d (a %s digest)", len(digest), suite.HashSize, v.cs.ContentDigest())
	}
	return nil
}

// Has reports whether the vault holds the original with this digest.
func (v *Vault) Has(ctx context.Context, digest []byte) (bool, error) {
	if err := v.checkDigest(digest); err != nil {
		return false, err
	}
	return v.backend.Exists(ctx, objectName(digest))
}

// Put reads an original from r and stores it encrypted under digest,
// which must be the suite's content digest of what r yields; otherwise nothing is
// stored and the error is ErrDigestMismatch. It returns the number of
// bytes read. Storing an original the vault already holds succeeds.
func (v *Vault) Put(ctx context.Context, digest []byte, r io.Reader) (int64, error) {
	if err := v.checkDigest(digest); err != nil {
		return 0, err
	}
	fileKey := make([]byte, KeySize)
	if _, err := rand.Read(fileKey); err != nil {
		return 0, fmt.Errorf("generating a file key: %w", err)
	}
	aad := v.associatedData(digest)
	stream, err := v.format.newStream(fileKey)
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
		sum := v.cs.NewHash()
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
func encrypt(w io.Writer, header []byte, stream stream, aad []byte, r io.Reader, sum hash.Hash, digest []byte) (int64, error) {
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
	h := append(bytes.Clone(v.format.magic), nonce...)
	return v.master.Seal(h, nonce, fileKey, aad), nil
}

// Get returns a reader of the original with this digest. Reading it
// fails if the stored object was altered, truncated or belongs to
// another digest, or if the master key is not the one it was stored with.
func (v *Vault) Get(ctx context.Context, digest []byte) (io.ReadCloser, error) {
	if err := v.checkDigest(digest); err != nil {
		return nil, err
	}
	obj, err := v.backend.Get(ctx, objectName(digest))
	if err != nil {
		return nil, err
	}
	r, err := v.open(obj, v.associatedData(digest))
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
	magic := v.format.magic
	header := make([]byte, len(magic)+v.master.NonceSize()+KeySize+v.master.Overhead())
	if _, err := io.ReadFull(obj, header); err != nil {
		return nil, fmt.Errorf("stored original is damaged: short header: %w", err)
	}
	if !bytes.HasPrefix(header, magic) {
		for _, cs := range suite.All() {
			if f, err := formatOf(cs); err == nil && bytes.HasPrefix(header, f.magic) {
				return nil, fmt.Errorf("stored original: an object of the %s suite, but this vault is of the %s suite", cs, v.cs)
			}
		}
		return nil, errors.New("stored original is damaged: not a vault object")
	}
	nonce := header[len(magic) : len(magic)+v.master.NonceSize()]
	fileKey, err := v.master.Open(nil, nonce, header[len(magic)+len(nonce):], aad)
	if err != nil {
		return nil, errors.New("stored original: its key does not open with this node's master key (another key, or another digest's object)")
	}
	stream, err := v.format.newStream(fileKey)
	if err != nil {
		return nil, err
	}
	r, err := stream.NewDecryptingReader(obj, aad)
	if err != nil {
		return nil, fmt.Errorf("stored original is damaged: %w", err)
	}
	return r, nil
}

// BaselineAEAD returns, under a fresh random key, the block AEAD with which
// a vault of the suite cs seals originals (AES-256-GCM, or SM4-GCM for
// the GM suite), and its name: what 'jurichain bench vault' compares the
// vault with.
func BaselineAEAD(cs *suite.Suite) (cipher.AEAD, string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, "", err
	}
	switch cs.Name() {
	case suite.NameInternational:
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, "", err
		}
		a, err := cipher.NewGCM(block)
		return a, "AES-256-GCM", err
	case suite.NameGM:
		a, err := newSM4GCM(key[:sm4.BlockSize])
		return a, "SM4-GCM", err
	}
	return nil, "", fmt.Errorf("vault: no at-rest encryption for the %s suite", cs)
}
