package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jurichain/jurichain/deposit"
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
// bytes, which key the signature cache.
type parsedDeposit struct {
	*deposit.Signed
	raw []byte
}

// parseDepositTx decodes a transaction built by EncodeDepositTx.
func parseDepositTx(tx []byte) ([]parsedDeposit, error) {
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

// encode writes the record kept in the state: the height, then per
// transaction its hash and deposit count. The deposits themselves are
// stored at their future leaf indexes. No deposits encode as nil.
func (p *pendingSet) encode() []byte {
	if len(p.groups) == 0 {
		return nil
	}
	b := binary.BigEndian.AppendUint64(nil, p.height)
	for _, g := range p.groups {
		b = append(b, g.txHash[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(g.deposits)))
	}
	return b
}

// loadPending returns the deposits waiting to enter the log: from memory,
// or after a restart from their provisional entries in the store.
func (a *App) loadPending() (*pendingSet, error) {
	rec := a.state.Pending
	if len(rec) == 0 {
		return &pendingSet{}, nil
	}
	if a.pending != nil {
		return a.pending, nil
	}
	if len(rec) < 8 || (len(rec)-8)%36 != 0 {
		return nil, errors.New("malformed pending record")
	}
	p := &pendingSet{height: binary.BigEndian.Uint64(rec)}
	var counts []int
	total := 0
	for r := rec[8:]; len(r) > 0; r = r[36:] {
		g := pendingGroup{txHash: [32]byte(r[:32])}
		n := int(binary.BigEndian.Uint32(r[32:]))
		p.groups = append(p.groups, g)
		counts = append(counts, n)
		total += n
	}
	raws, err := a.cfg.Store.Leaves(a.state.Size, a.state.Size+uint64(total))
	if err != nil {
		return nil, err
	}
	for i, n := range counts {
		for _, raw := range raws[:n] {
			s, rest, err := deposit.ParseSigned(raw)
			if err != nil || len(rest) != 0 {
				return nil, fmt.Errorf("provisional entry: %v", err)
			}
			p.groups[i].deposits = append(p.groups[i].deposits, parsedDeposit{Signed: s, raw: raw})
		}
		raws = raws[n:]
	}
	a.pending = p
	return p, nil
}
