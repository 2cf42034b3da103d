package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/suite"
)

// txDeposits is the type byte of a transaction carrying signed deposits.
const txDeposits byte = 1

// MaxDepositsPerTx bounds one transaction; the node's group commit fills
// transactions up to this many deposits.
const MaxDepositsPerTx = 4096

// EncodeDepositTx builds a transaction from canonically encoded signed
// deposits (deposit.Signed.AppendBinary): a type byte, a 4-byte count, then
// the deposits back to back.
func EncodeDepositTx(signed [][]byte) []byte {
	n := 5
	for _, s := range signed {
		n += len(s)
	}
	tx := make([]byte, 0, n)
	tx = append(tx, txDeposits)
	tx = binary.BigEndian.AppendUint32(tx, uint32(len(signed)))
	for _, s := range signed {
		tx = append(tx, s...)
	}
	return tx
}

// parsedDeposit is one deposit of a transaction together with its exact
// bytes and, once computed, its id.
type parsedDeposit struct {
	*deposit.Signed
	raw []byte
	id  string
}

// parseDepositTx decodes a transaction built by EncodeDepositTx.
func parseDepositTx(cs *suite.Suite, tx []byte) ([]parsedDeposit, error) {
	if len(tx) < 5 || tx[0] != txDeposits {
		return nil, errors.New("not a deposit transaction")
	}
	n := binary.BigEndian.Uint32(tx[1:])
	if n == 0 || n > MaxDepositsPerTx {
		return nil, fmt.Errorf("deposit count %d outside 1..%d", n, MaxDepositsPerTx)
	}
	rest := tx[5:]
	out := make([]parsedDeposit, 0, n)
	for i := uint32(0); i < n; i++ {
		s, next, err := deposit.ParseSigned(rest)
		if err != nil {
			return nil, fmt.Errorf("deposit %d: %w", i, err)
		}
		// Part of parsing, not of judging each deposit: a transaction
		// with a deposit lacking its suite's digest is malformed as a
		// whole, as it was when the encoding itself required SHA-256.
		if err := s.CheckSuite(cs); err != nil {
			return nil, fmt.Errorf("deposit %d: %w", i, err)
		}
		out = append(out, parsedDeposit{Signed: s, raw: rest[:len(rest)-len(next)]})
		rest = next
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(rest))
	}
	return out, nil
}

// pendingGroup is the deposits of one transaction that were ordered in a
// block and enter the log in the next.
type pendingGroup struct {
	txHash   [32]byte
	deposits []parsedDeposit
}

// pendingSet is the deposits ordered by block height.
type pendingSet struct {
	height uint64
	groups []pendingGroup
}

func (p *pendingSet) count() int {
	n := 0
	for _, g := range p.groups {
		n += len(g.deposits)
	}
	return n
}

// encode writes the pending set as kept in the state: the height, then
// per transaction its hash and a deposit transaction of its deposits. No
// deposits encode as nil.
func (p *pendingSet) encode() []byte {
	if len(p.groups) == 0 {
		return nil
	}
	b := binary.BigEndian.AppendUint64(nil, p.height)
	for _, g := range p.groups {
		raw := make([][]byte, len(g.deposits))
		for i, d := range g.deposits {
			raw[i] = d.raw
		}
		tx := EncodeDepositTx(raw)
		b = append(b, g.txHash[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(tx)))
		b = append(b, tx...)
	}
	return b
}

// loadPending returns the deposits waiting to enter the log: from memory,
// or after a restart from the state.
func (a *App) loadPending() (*pendingSet, error) {
	b := a.state.Pending
	if len(b) == 0 {
		return &pendingSet{}, nil
	}
	if a.pending != nil {
		return a.pending, nil
	}
	if len(b) < 8 {
		return nil, errors.New("truncated")
	}
	p := &pendingSet{height: binary.BigEndian.Uint64(b)}
	for b = b[8:]; len(b) > 0; {
		if len(b) < 36 {
			return nil, errors.New("truncated")
		}
		g := pendingGroup{txHash: [32]byte(b[:32])}
		n := binary.BigEndian.Uint32(b[32:])
		b = b[36:]
		if uint32(len(b)) < n {
			return nil, errors.New("truncated")
		}
		var err error
		if g.deposits, err = parseDepositTx(a.cfg.Suite, b[:n]); err != nil {
			return nil, err
		}
		b = b[n:]
		p.groups = append(p.groups, g)
	}
	a.pending = p
	return p, nil
}
