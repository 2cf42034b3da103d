package suite

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// noteFormat is how a suite's keys sign C2SP signed notes: the signature
// type that follows the key name in key IDs and prefixes the public key in
// verifier keys, for plain note signatures and for timestamped
// cosignatures (c2sp.org/tlog-cosignature).
//
// The international suite uses the assigned types 0x01 (Ed25519) and 0x04
// (Ed25519 cosignature/v1), so its keys and signatures are exactly those
// of golang.org/x/mod/sumdb/note and github.com/transparency-dev/formats.
// The GM suite uses 0xff, which c2sp.org/signed-note reserves for types
// without an assigned byte, followed by the identifier
// "jurichain/sm2-note/v1" or "jurichain/sm2-cosignature/v1".
type noteFormat struct {
	note, cosignature []byte
}

// errVerifierKey is returned for a verifier key that is not
// name+hash+base64 with a hash that matches.
var errVerifierKey = errors.New("malformed verifier key")

// keyHash is the key ID c2sp.org/signed-note recommends: the first four
// bytes of SHA-256(name || 0x0A || type || public key), whatever the suite.
func keyHash(name string, typ, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(typ)
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// formatKey writes name+hash+base64(type||key), the form of verifier keys
// and, behind "PRIVATE+KEY+", of private keys; the key ID is always the
// public key's.
func formatKey(name string, typ, pub, key []byte) string {
	return fmt.Sprintf("%s+%08x+%s", name, keyHash(name, typ, pub), base64.StdEncoding.EncodeToString(append(bytes.Clone(typ), key...)))
}

// splitKey reads name+hash+base64(type||key), accepting only the spelling
// formatKey writes; it does not check the hash.
func splitKey(k string) (name string, hash uint32, typeAndKey []byte, ok bool) {
	name, rest, _ := strings.Cut(k, "+")
	hash16, key64, _ := strings.Cut(rest, "+")
	tk, err := base64.StdEncoding.Strict().DecodeString(key64)
	h, herr := strconv.ParseUint(hash16, 16, 32)
	if !validKeyName(name) || herr != nil || hash16 != fmt.Sprintf("%08x", h) || err != nil || len(tk) == 0 {
		return "", 0, nil, false
	}
	return name, uint32(h), tk, true
}

// validKeyName is the rule of golang.org/x/mod/sumdb/note: non-empty, no
// spaces, no plus signs.
func validKeyName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// VerifierKey encodes pub as a signed-note verifier key named name:
// name+hash+base64(type||key).
func (s *Suite) VerifierKey(name string, pub []byte) (string, error) {
	if !validKeyName(name) {
		return "", fmt.Errorf("invalid key name %q", name)
	}
	if err := s.signature.CheckPublicKey(pub); err != nil {
		return "", err
	}
	return formatKey(name, s.notes.note, pub, pub), nil
}

// CosignatureVerifierKey returns the timestamped-cosignature
// (c2sp.org/tlog-cosignature) verifier key of the same key and name as
// vkey, a verifier key of this suite of either type. For the
// international suite it is what github.com/transparency-dev/formats
// calls VKeyToCosignatureV1; member cards and policies list witnesses by
// such keys.
func (s *Suite) CosignatureVerifierKey(vkey string) (string, error) {
	name, pub, _, err := s.parseVerifierKey(vkey)
	if err != nil {
		return "", err
	}
	return formatKey(name, s.notes.cosignature, pub, pub), nil
}

// IsCosignatureKey reports whether vkey is a verifier key of this suite
// written for timestamped cosignatures rather than plain note signatures.
func (s *Suite) IsCosignatureKey(vkey string) bool {
	_, _, cosig, err := s.parseVerifierKey(vkey)
	return err == nil && cosig
}

// parseVerifierKey splits a verifier key and returns its name, the public
// key and the signature type it was written for (this suite's note or
// cosignature type). A key of the other suite is refused with a message
// naming both.
func (s *Suite) parseVerifierKey(vkey string) (name string, pub []byte, cosig bool, err error) {
	name, hash, tk, ok := splitKey(vkey)
	if !ok {
		return "", nil, false, errVerifierKey
	}
	var typ []byte
	switch {
	case bytes.HasPrefix(tk, s.notes.note):
		typ = s.notes.note
	case bytes.HasPrefix(tk, s.notes.cosignature):
		typ, cosig = s.notes.cosignature, true
	default:
		for _, o := range All() {
			if o.name != s.name && (bytes.HasPrefix(tk, o.notes.note) || bytes.HasPrefix(tk, o.notes.cosignature)) {
				return "", nil, false, fmt.Errorf("key %s is a key of the %s suite, not of the %s suite", name, o, s)
			}
		}
		return "", nil, false, fmt.Errorf("key %s: unknown signature type %#x", name, tk[0])
	}
	pub = tk[len(typ):]
	if hash != keyHash(name, typ, pub) {
		return "", nil, false, fmt.Errorf("key %s: the key hash does not match the key", name)
	}
	if err := s.signature.CheckPublicKey(pub); err != nil {
		return "", nil, false, fmt.Errorf("key %s: %w", name, err)
	}
	return name, pub, cosig, nil
}

// KeyOf returns the name and public key of a verifier key of this suite,
// of either signature type.
func (s *Suite) KeyOf(vkey string) (name string, pub []byte, err error) {
	name, pub, _, err = s.parseVerifierKey(vkey)
	return name, pub, err
}

// NewVerifier returns a verifier of plain note signatures for a verifier
// key of this suite; it refuses keys the scheme refuses.
func (s *Suite) NewVerifier(vkey string) (note.Verifier, error) {
	name, pub, cosig, err := s.parseVerifierKey(vkey)
	if err != nil {
		return nil, err
	}
	if cosig {
		return nil, fmt.Errorf("key %s is a cosignature key, not a note key", name)
	}
	return &verifier{name: name, hash: keyHash(name, s.notes.note, pub), verify: func(msg, sig []byte) bool {
		return s.signature.Verify(pub, msg, sig)
	}}, nil
}

// NewCosignatureVerifier returns a verifier of timestamped cosignatures
// (c2sp.org/tlog-cosignature) for a verifier key of this suite. As
// github.com/transparency-dev/formats does, it also takes a plain note
// key and verifies cosignatures under the cosignature type's key ID.
func (s *Suite) NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	name, pub, _, err := s.parseVerifierKey(vkey)
	if err != nil {
		return nil, err
	}
	return &verifier{name: name, hash: keyHash(name, s.notes.cosignature, pub), verify: func(msg, sig []byte) bool {
		if len(sig) < 8 {
			return false
		}
		m, err := cosignedMessage(binary.BigEndian.Uint64(sig), msg)
		return err == nil && s.signature.Verify(pub, m, sig[8:])
	}}, nil
}

// cosignedMessage is what a cosignature/v1 signs: a header with the
// timestamp, then the checkpoint.
func cosignedMessage(t uint64, text []byte) ([]byte, error) {
	if bytes.Count(text, []byte("\n")) < 3 {
		return nil, errors.New("cosigned note is not a checkpoint")
	}
	return fmt.Appendf(nil, "cosignature/v1\ntime %d\n%s", t, text), nil
}

type verifier struct {
	name   string
	hash   uint32
	verify func(msg, sig []byte) bool
}

func (v *verifier) Name() string                { return v.name }
func (v *verifier) KeyHash() uint32             { return v.hash }
func (v *verifier) Verify(msg, sig []byte) bool { return v.verify(msg, sig) }

// GenerateNoteKey makes a new signed-note key pair named name: the private
// key as PRIVATE+KEY+name+hash+base64(type||private key), as
// golang.org/x/mod/sumdb/note writes Ed25519 keys, and its verifier key.
func (s *Suite) GenerateNoteKey(rand io.Reader, name string) (skey, vkey string, err error) {
	k, err := s.signature.GenerateKey(rand)
	if err != nil {
		return "", "", err
	}
	vkey, err = s.VerifierKey(name, k.Public())
	if err != nil {
		return "", "", err
	}
	skey = "PRIVATE+KEY+" + formatKey(name, s.notes.note, k.Public(), k.Bytes())
	return skey, vkey, nil
}

// parseSignerKey reads a private key GenerateNoteKey wrote, or one of the
// cosignature type.
func (s *Suite) parseSignerKey(skey string) (string, PrivateKey, error) {
	rest, ok := strings.CutPrefix(skey, "PRIVATE+KEY+")
	name, hash, tk, ok2 := splitKey(rest)
	if !ok || !ok2 {
		return "", nil, errors.New("malformed signed-note private key")
	}
	var typ []byte
	switch {
	case bytes.HasPrefix(tk, s.notes.note):
		typ = s.notes.note
	case bytes.HasPrefix(tk, s.notes.cosignature):
		typ = s.notes.cosignature
	default:
		return "", nil, fmt.Errorf("key %s is not a key of the %s suite", name, s)
	}
	k, err := s.signature.NewPrivateKey(tk[len(typ):])
	if err != nil {
		return "", nil, fmt.Errorf("key %s: %w", name, err)
	}
	if hash != keyHash(name, typ, k.Public()) {
		return "", nil, fmt.Errorf("key %s: the key hash does not match the key", name)
	}
	return name, k, nil
}

// ParseNoteKey returns the name and private key of a signed-note private
// key GenerateNoteKey wrote (of either signature type), for signing other
// statements than notes with the key a policy names: such a statement must
// begin with its own context line, so it can never be read as a note.
func (s *Suite) ParseNoteKey(skey string) (string, PrivateKey, error) {
	return s.parseSignerKey(skey)
}

// NewSigner returns a plain note signer for a private key GenerateNoteKey
// wrote.
func (s *Suite) NewSigner(skey string) (note.Signer, error) {
	name, k, err := s.parseSignerKey(skey)
	if err != nil {
		return nil, err
	}
	return s.Signer(name, k), nil
}

// Signer returns a plain note signer named name for key, as the log signs
// checkpoints under the network's origin.
func (s *Suite) Signer(name string, key PrivateKey) note.Signer {
	return &signer{name: name, hash: keyHash(name, s.notes.note, key.Public()), sign: key.Sign}
}

// NewCosigner returns a timestamped cosigner (c2sp.org/tlog-cosignature)
// for a private key GenerateNoteKey wrote; now gives the cosignature's
// time.
func (s *Suite) NewCosigner(skey string, now func() time.Time) (note.Signer, error) {
	name, k, err := s.parseSignerKey(skey)
	if err != nil {
		return nil, err
	}
	return &signer{name: name, hash: keyHash(name, s.notes.cosignature, k.Public()), sign: func(msg []byte) ([]byte, error) {
		t := uint64(now().Unix())
		m, err := cosignedMessage(t, msg)
		if err != nil {
			return nil, err
		}
		sig, err := k.Sign(m)
		if err != nil {
			return nil, err
		}
		return append(binary.BigEndian.AppendUint64(nil, t), sig...), nil
	}}, nil
}

type signer struct {
	name string
	hash uint32
	sign func([]byte) ([]byte, error)
}

func (s *signer) Name() string                    { return s.name }
func (s *signer) KeyHash() uint32                 { return s.hash }
func (s *signer) Sign(msg []byte) ([]byte, error) { return s.sign(msg) }

// SuiteOfKey returns the suite a verifier key belongs to, by its
// signature type.
func SuiteOfKey(vkey string) (*Suite, error) {
	_, rest, _ := strings.Cut(vkey, "+")
	_, key64, _ := strings.Cut(rest, "+")
	tk, err := base64.StdEncoding.Strict().DecodeString(key64)
	if err != nil || len(tk) == 0 {
		return nil, errVerifierKey
	}
	for _, s := range All() {
		if bytes.HasPrefix(tk, s.notes.note) || bytes.HasPrefix(tk, s.notes.cosignature) {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown signature type %#x", tk[0])
}
