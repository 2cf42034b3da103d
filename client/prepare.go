package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
)

// Content describes a file to deposit.
type Content struct {
	SHA256   []byte
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
// it) while a retry produces the identical statement.
func Prepare(cs *suite.Suite, origin string, key suite.PrivateKey, c Content) (api.Deposit, *deposit.Opening, error) {
	pemKey, err := key.MarshalPEM()
	if err != nil {
		return api.Deposit{}, nil, err
	}
	meta, err := json.Marshal(c.Metadata)
	if err != nil {
		return api.Deposit{}, nil, err
	}
	secret := sha256.Sum256(append([]byte("jurichain/client-secret/v1\n"), pemKey...))
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret[:])
		fmt.Fprintf(m, "%s\n%x\n%d\n", label, c.SHA256, c.Size)
		m.Write(meta)
		return m.Sum(nil)
	}
	op := &deposit.Opening{Metadata: c.Metadata, Salt: derive("salt")}
	if err := op.Validate(); err != nil {
		return api.Deposit{}, nil, err
	}
	idem := c.IdempotencyKey
	if idem == "" {
		idem = "auto-" + hex.EncodeToString(derive("idempotency")[:16])
	}
	s := &deposit.Signed{Statement: deposit.Statement{
		Digests:            []deposit.Digest{{Algorithm: deposit.SHA256, Value: c.SHA256}},
		Size:               c.Size,
		MetadataCommitment: op.Commitment(cs),
		Depositor:          key.Public(),
		IdempotencyKey:     idem,
	}}
	if err := s.Validate(); err != nil {
		return api.Deposit{}, nil, err
	}
	if s.Signature, err = key.Sign(s.SigningMessage(origin)); err != nil {
		return api.Deposit{}, nil, fmt.Errorf("signing deposit: %w", err)
	}
	return api.NewDeposit(s, op), op, nil
}
