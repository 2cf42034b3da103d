package vault

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/emmansun/gmsm/sm4"

	"github.com/jurichain/jurichain/suite"
)

// gmStream is the streaming AEAD of the GM suite's vault objects, the
// STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online
// authenticated-encryption and its nonce-reuse misuse-resistance") over
// SM4-GCM:
//
//	header:   salt (32 bytes) || nonce prefix (7 bytes)
//	segments: SM4-GCM(segment key, nonce_i, plaintext_i, aad)
//	nonce_i = nonce prefix || i (4 bytes, big-endian) || last (1 byte: 1 on
//	          the final segment, 0 before it)
//
// The segment key is HKDF over SM3 of the file key, with the random salt
// and the suite's domain as info, so every object has its own key even if
// a file key were reused. Every ciphertext segment is segmentSize bytes
// but the last, which may be shorter and is never empty of its tag: the
// writer makes a segment final only at Close. Because the index and the
// final flag are in the nonce, a reader detects a segment moved,
// repeated, dropped or swapped with another object's, a stream cut at a
// segment boundary (its new last segment was sealed as not final) and
// bytes appended (the true last segment is then read as not final).
type gmStream struct {
	cs          *suite.Suite
	fileKey     []byte
	segmentSize int // ciphertext bytes of every segment but the last
}

// GM stream layout.
const (
	gmSaltSize   = 32
	gmPrefixSize = 7
	gmHeaderSize = gmSaltSize + gmPrefixSize
	gmTagSize    = 16
	gmNonceSize  = 12
)

// newGMStream returns the stream of a file key, cut into ciphertext
// segments of segmentSize bytes.
func newGMStream(cs *suite.Suite, fileKey []byte, segmentSize int) (*gmStream, error) {
	if len(fileKey) != KeySize {
		return nil, fmt.Errorf("vault file key: %d bytes, want %d", len(fileKey), KeySize)
	}
	if segmentSize <= gmTagSize {
		return nil, fmt.Errorf("vault segment size %d: must exceed the %d-byte tag", segmentSize, gmTagSize)
	}
	return &gmStream{cs: cs, fileKey: fileKey, segmentSize: segmentSize}, nil
}

// segmentAEAD derives the SM4-GCM of the stream whose salt is salt.
func (s *gmStream) segmentAEAD(salt []byte) (cipher.AEAD, error) {
	k, err := hkdf.Key(s.cs.NewHash, s.fileKey, salt, "jurichain vault gm stream v1", sm4.BlockSize)
	if err != nil {
		return nil, err
	}
	aead, err := newSM4GCM(k)
	if err != nil {
		return nil, err
	}
	if aead.NonceSize() != gmNonceSize || aead.Overhead() != gmTagSize {
		return nil, errors.New("vault: unexpected SM4-GCM nonce or tag size")
	}
	return aead, nil
}

// gmNonce is the nonce of segment i.
func gmNonce(prefix []byte, i uint32, last bool) []byte {
	n := make([]byte, 0, gmNonceSize)
	n = append(n, prefix...)
	n = binary.BigEndian.AppendUint32(n, i)
	if last {
		return append(n, 1)
	}
	return append(n, 0)
}

// NewEncryptingWriter writes the stream header to w and returns a writer
// that encrypts into w. Close seals the final segment; without it the
// stream does not read back.
func (s *gmStream) NewEncryptingWriter(w io.Writer, aad []byte) (io.WriteCloser, error) {
	header := make([]byte, gmHeaderSize)
	if _, err := rand.Read(header); err != nil {
		return nil, fmt.Errorf("generating the stream salt: %w", err)
	}
	aead, err := s.segmentAEAD(header[:gmSaltSize])
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(header); err != nil {
		return nil, err
	}
	plain := s.segmentSize - gmTagSize
	return &gmWriter{w: w, aead: aead, prefix: header[gmSaltSize:], aad: aad,
		buf: make([]byte, 0, plain), out: make([]byte, 0, s.segmentSize)}, nil
}

type gmWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	prefix []byte
	aad    []byte
	buf    []byte // plaintext of the segment being filled
	out    []byte // ciphertext scratch
	i      uint32 // index of the segment being filled
	err    error  // sticky: once a write failed, the stream is broken
	closed bool
}

// seal encrypts and writes the buffered segment.
func (g *gmWriter) seal(last bool) error {
	g.out = g.aead.Seal(g.out[:0], gmNonce(g.prefix, g.i, last), g.buf, g.aad)
	if _, err := g.w.Write(g.out); err != nil {
		return err
	}
	g.buf = g.buf[:0]
	if !last {
		if g.i == math.MaxUint32 {
			return errors.New("vault: the original is too large for one stream")
		}
		g.i++
	}
	return nil
}

func (g *gmWriter) Write(p []byte) (int, error) {
	if g.closed {
		return 0, errors.New("vault: write to a closed stream")
	}
	if g.err != nil {
		return 0, g.err
	}
	n := 0
	for len(p) > 0 {
		// A full segment is sealed only once more plaintext comes: until
		// then it may be the last.
		if len(g.buf) == cap(g.buf) {
			if g.err = g.seal(false); g.err != nil {
				return n, g.err
			}
		}
		k := copy(g.buf[len(g.buf):cap(g.buf)], p)
		g.buf = g.buf[:len(g.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

// Close seals the final segment, empty if nothing is buffered.
func (g *gmWriter) Close() error {
	if g.closed {
		return nil
	}
	g.closed = true
	if g.err != nil {
		return g.err
	}
	return g.seal(true)
}

// NewDecryptingReader reads the stream header from r and returns a reader
// of the plaintext. A read fails, before returning a byte of it, when a
// segment does not authenticate; it returns io.EOF only after the final
// segment authenticated as final.
func (s *gmStream) NewDecryptingReader(r io.Reader, aad []byte) (io.Reader, error) {
	header := make([]byte, gmHeaderSize)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("short stream header: %w", err)
	}
	aead, err := s.segmentAEAD(header[:gmSaltSize])
	if err != nil {
		return nil, err
	}
	return &gmReader{r: backendReader{r}, aead: aead, prefix: header[gmSaltSize:], aad: aad,
		ct: make([]byte, 0, s.segmentSize+1), pbuf: make([]byte, 0, s.segmentSize), segmentSize: s.segmentSize}, nil
}

// backendReader keeps a backend that stops mid-object (a connection cut,
// which net/http reports as io.ErrUnexpectedEOF) apart from an object that
// ends early: io.ReadFull turns the second into io.ErrUnexpectedEOF too,
// and the reader then judges the segment, which a cut would make look
// tampered with.
type backendReader struct{ r io.Reader }

func (b backendReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("reading the stored original: the store stopped mid-object (%w); try again", errBackendCut)
	}
	return n, err
}

// errBackendCut is wrapped by the error of a read the backend cut short.
var errBackendCut = errors.New("connection cut")

type gmReader struct {
	r           io.Reader
	aead        cipher.AEAD
	prefix      []byte
	aad         []byte
	segmentSize int
	ct          []byte // ciphertext read; one byte past a full segment tells it is not the last
	pbuf        []byte // plaintext of the current segment
	plain       []byte // the part of pbuf not yet returned
	i           uint32
	done        bool
	err         error
}

func (g *gmReader) Read(p []byte) (int, error) {
	for len(g.plain) == 0 {
		if g.err != nil {
			return 0, g.err
		}
		if g.done {
			return 0, io.EOF
		}
		g.err = g.next()
	}
	n := copy(p, g.plain)
	g.plain = g.plain[n:]
	return n, nil
}

// next reads and opens the next segment.
func (g *gmReader) next() error {
	// g.ct holds the byte read past the previous segment, if any.
	have := len(g.ct)
	g.ct = g.ct[:cap(g.ct)]
	n, err := io.ReadFull(g.r, g.ct[have:])
	g.ct = g.ct[:have+n]
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
	case err != nil:
		return err
	}
	last := len(g.ct) <= g.segmentSize
	seg := g.ct
	if !last {
		seg = g.ct[:g.segmentSize]
	}
	if len(seg) < gmTagSize {
		return fmt.Errorf("stored original is damaged: segment %d is cut short (truncated)", g.i)
	}
	plain, err := g.aead.Open(g.pbuf[:0], gmNonce(g.prefix, g.i, last), seg, g.aad)
	if err != nil {
		return fmt.Errorf("stored original is damaged: segment %d does not authenticate (altered, reordered, truncated, extended, or another object's)", g.i)
	}
	g.plain = plain
	if last {
		g.done = true
		g.ct = g.ct[:0]
		return nil
	}
	g.ct = append(g.ct[:0], g.ct[g.segmentSize])
	if g.i == math.MaxUint32 {
		return errors.New("stored original is damaged: more segments than a stream may have")
	}
	g.i++
	return nil
}
