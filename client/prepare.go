package client

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
)

// Content describes a file to deposit.
type Content struct {
	// Digest is the file's content digest under the network's suite
	// (its ContentDigest: sha256 or sm3).
	Digest []byte
	// Second, when set, is the file's digest under the suite's
	// SecondDigest, committed in the leaf beside Digest so that the
	// deposit can be checked with either algorithm.
	Second   []byte
	Size     uint64
	Metadata deposit.Metadata
	// IdempotencyKey, when empty, is derived from the key, the digest and
	// the metadata, so depositing the same file with the same description
	// again returns the first deposit instead of making a second.
	IdempotencyKey string
}

// Prepare builds and signs the deposit request for content on the log
// named origin. The metadata salt is derived from the private key, the
// digest and the metadata: it stays secret (only the key holder can derive
// it) while a retry produces the identical statement. The derivation is an
// HMAC over the suite's hash (for the international suite, the
// HMAC-SHA256 clients have always used, so their retries still match).
func Prepare(cs *suite.Suite, origin string, key suite.PrivateKey, c Content) (api.Deposit, *deposit.Opening, error) {
	pemKey, err := key.MarshalPEM()
	if err != nil {
		return api.Deposit{}, nil, err
	}
	meta, err := json.Marshal(c.Metadata)
	if err != nil {
		return api.Deposit{}, nil, err
	}
	secret := cs.Hash([]byte("jurichain/client-secret/v1\n"), pemKey)
	derive := func(label string) []byte {
		m := hmac.New(cs.NewHash, secret[:])
		fmt.Fprintf(m, "%s\n%x\n%d\n", label, c.Digest, c.Size)
		m.Write(meta)
		if c.Second != nil {
			// Only then, so that deposits without it derive as before.
			fmt.Fprintf(m, "\n%s %x\n", cs.SecondDigest(), c.Second)
		}
		return m.Sum(nil)
	}
	op := &deposit.Opening{Metadata: c.Metadata, Salt: derive("salt"), Suite: cs.Name()}
	if err := op.Validate(); err != nil {
		return api.Deposit{}, nil, err
	}
	idem := c.IdempotencyKey
	if idem == "" {
		idem = "auto-" + hex.EncodeToString(derive("idempotency")[:16])
	}
	digests, err := contentDigests(cs, c)
	if err != nil {
		return api.Deposit{}, nil, err
	}
	s := &deposit.Signed{Statement: deposit.Statement{
		Digests:            digests,
		Size:               c.Size,
		MetadataCommitment: op.Commitment(cs),
		Depositor:          key.Public(),
		IdempotencyKey:     idem,
	}}
	if err := s.Validate(); err != nil {
		return api.Deposit{}, nil, err
	}
	if err := s.CheckSuite(cs); err != nil {
		return api.Deposit{}, nil, err
	}
	if s.Signature, err = key.Sign(s.SigningMessage(origin)); err != nil {
		return api.Deposit{}, nil, fmt.Errorf("signing deposit: %w", err)
	}
	return api.NewDeposit(s, op), op, nil
}

// contentDigests are the statement digests of c, in canonical order.
func contentDigests(cs *suite.Suite, c Content) ([]deposit.Digest, error) {
	a, err := deposit.ParseAlgorithm(cs.ContentDigest())
	if err != nil {
		return nil, err
	}
	out := []deposit.Digest{{Algorithm: a, Value: c.Digest}}
	if c.Second != nil {
		b, err := deposit.ParseAlgorithm(cs.SecondDigest())
		if err != nil {
			return nil, err
		}
		out = append(out, deposit.Digest{Algorithm: b, Value: c.Second})
		slices.SortFunc(out, func(x, y deposit.Digest) int { return int(x.Algorithm) - int(y.Algorithm) })
	}
	return out, nil
}
