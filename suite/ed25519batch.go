package suite

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// keyBatch verifies Ed25519 signatures in a batch with ZIP-215 rules, the
// same rules as ed25519consensus.Verify, and coalesces signatures by public
// key: the batch equation
//
//	[8]( -(Σ z_i s_i) B + Σ z_i R_i + Σ_keys (Σ_{i by key} z_i k_i) A ) = 0
//
// has one term per distinct key instead of one per signature, and each key
// is decompressed once. Deposits arrive in bulk from a few institutional
// depositors, so this nearly halves the cost of the multi-scalar
// multiplication. The z_i are random 128-bit scalars, so a batch with any
// invalid signature fails except with negligible probability.
type keyBatch struct {
	entries []batchEntry
	keys    map[[ed25519.PublicKeySize]byte]int
	keyList [][ed25519.PublicKeySize]byte
	bad     bool
}

type batchEntry struct {
	key int
	r   [32]byte
	s   [32]byte
	k   edwards25519.Scalar
}

func newKeyBatch(n int) *keyBatch {
	return &keyBatch{entries: make([]batchEntry, 0, n), keys: map[[ed25519.PublicKeySize]byte]int{}}
}

func (b *keyBatch) Add(pub, msg, sig []byte) {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize || sig[63]&224 != 0 {
		b.bad = true
		return
	}
	a := [ed25519.PublicKeySize]byte(pub)
	ki, ok := b.keys[a]
	if !ok {
		ki = len(b.keyList)
		b.keys[a] = ki
		b.keyList = append(b.keyList, a)
	}
	e := batchEntry{key: ki, r: [32]byte(sig[:32]), s: [32]byte(sig[32:])}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(pub)
	h.Write(msg)
	var digest [64]byte
	if _, err := e.k.SetUniformBytes(h.Sum(digest[:0])); err != nil {
		b.bad = true
		return
	}
	b.entries = append(b.entries, e)
}

func (b *keyBatch) Verify() bool {
	n, m := len(b.entries), len(b.keyList)
	if b.bad || n == 0 {
		return false
	}
	zs := make([]byte, 16*n)
	if _, err := rand.Read(zs); err != nil {
		return false
	}
	scalars := make([]edwards25519.Scalar, 1+n+m)
	points := make([]edwards25519.Point, 1+n+m)
	sp := make([]*edwards25519.Scalar, len(scalars))
	pp := make([]*edwards25519.Point, len(points))
	for i := range scalars {
		sp[i], pp[i] = &scalars[i], &points[i]
	}
	points[0].Set(edwards25519.NewGeneratorPoint())
	for j, a := range b.keyList {
		// Each distinct key is decoded once, and refused as Verify
		// refuses it.
		p, err := ed25519Point(a[:])
		if err != nil {
			return false
		}
		points[1+n+j].Set(p)
	}
	var zb [32]byte
	sumZS := edwards25519.NewScalar()
	for i := range b.entries {
		e := &b.entries[i]
		copy(zb[:16], zs[16*i:])
		z := &scalars[1+i]
		if _, err := z.SetCanonicalBytes(zb[:]); err != nil {
			return false
		}
		if _, err := points[1+i].SetBytes(e.r[:]); err != nil {
			return false
		}
		s, err := new(edwards25519.Scalar).SetCanonicalBytes(e.s[:])
		if err != nil {
			return false
		}
		sumZS.MultiplyAdd(z, s, sumZS)
		ak := &scalars[1+n+e.key]
		ak.MultiplyAdd(z, &e.k, ak)
	}
	scalars[0].Negate(sumZS)
	check := new(edwards25519.Point).VarTimeMultiScalarMult(sp, pp)
	check.MultByCofactor(check)
	return check.Equal(edwards25519.NewIdentityPoint()) == 1
}
