package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/store"
	"github.com/jurichain/jurichain/suite"
)

// txIdentity carries an identity operation: a signed note whose text is an
// identity.Op, signed as identity.Apply requires.
const txIdentity byte = 5

// EncodeIdentityTx wraps a signed identity operation.
func EncodeIdentityTx(signed []byte) []byte { return append([]byte{txIdentity}, signed...) }

// accountBook is the committed accounts, in memory: every deposit's key is
// checked against it, and the API authenticates requests with it.
type accountBook struct {
	mu    sync.RWMutex
	byID  map[string]*identity.Account
	byKey map[string]string // raw public key -> account id
}

func (b *accountBook) Account(id string) (*identity.Account, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.byID[id], nil
}

func (b *accountBook) KeyOwner(pub []byte) (string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.byKey[string(pub)], nil
}

func (b *accountBook) put(acc *identity.Account) {
	b.byID[acc.ID] = acc
	for _, k := range acc.Keys {
		b.byKey[string(k.Public)] = acc.ID
	}
}

// blockAccounts is the accounts as a block being executed changes them: the
// committed book overlaid with the block's changes, in order.
type blockAccounts struct {
	book    *accountBook
	changed map[string]*identity.Account
	keys    map[string]string
	// digest is the running digest of identity operations after the
	// block's operations so far.
	digest [suite.HashSize]byte
}

func (d *blockAccounts) Account(id string) (*identity.Account, error) {
	if a, ok := d.changed[id]; ok {
		return a, nil
	}
	return d.book.Account(id)
}

func (d *blockAccounts) KeyOwner(pub []byte) (string, error) {
	if id, ok := d.keys[string(pub)]; ok {
		return id, nil
	}
	return d.book.KeyOwner(pub)
}

// loadAccounts reads the committed accounts and the identity digest.
func (a *App) loadAccounts() error {
	a.accounts = &accountBook{byID: map[string]*identity.Account{}, byKey: map[string]string{}}
	err := a.cfg.Store.Accounts(func(rec []byte) error {
		acc := &identity.Account{}
		if err := json.Unmarshal(rec, acc); err != nil {
			return fmt.Errorf("stored account is corrupt: %w", err)
		}
		a.accounts.put(acc)
		return nil
	})
	if err != nil {
		return err
	}
	d, err := a.cfg.Store.IdentityDigest()
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	case len(d) != suite.HashSize:
		return errors.New("stored identity digest is corrupt")
	default:
		a.identityDigest = [suite.HashSize]byte(d)
	}
	return nil
}

// applyIdentity checks a signed identity operation against dir at a height.
func (a *App) applyIdentity(dir identity.Directory, signed []byte, height uint64) (*identity.Account, *identity.Op, error) {
	return identity.Apply(a.cfg.Suite, dir, a.members.Load().nodes, a.cfg.Origin, signed, height)
}

// executeIdentity applies an identity operation within a block.
func (a *App) executeIdentity(b *stagedBlock, signed []byte, height uint64) error {
	dir := b.identities(a)
	acc, op, err := a.applyIdentity(dir, signed, height)
	if err != nil {
		return err
	}
	dir.changed[acc.ID] = acc
	for _, k := range acc.Keys {
		dir.keys[string(k.Public)] = acc.ID
	}
	opDigest := a.cfg.Suite.Hash(signed)
	dir.digest = a.cfg.Suite.Hash([]byte("jurichain/identity/v1\n"), dir.digest[:], opDigest[:])
	a.cfg.Logger.Info("identity operation applied", "height", height, "account", acc.ID, "op", op.Action, "status", acc.Status)
	return nil
}

// accountsView is the accounts as the block has left them so far: the
// committed book until an identity operation changes one. Deposits read it
// without creating an overlay, so a block without identity operations
// writes no account state.
func (b *stagedBlock) accountsView(a *App) identity.Directory {
	if b.accounts == nil {
		return a.accounts
	}
	return b.accounts
}

// identities returns the block's overlay of the accounts, created by the
// first identity operation.
func (b *stagedBlock) identities(a *App) *blockAccounts {
	if b.accounts == nil {
		b.accounts = &blockAccounts{book: a.accounts, changed: map[string]*identity.Account{}, keys: map[string]string{}, digest: a.identityDigest}
	}
	return b.accounts
}

// stageAccounts writes the accounts a block changed.
func (b *stagedBlock) stageAccounts() error {
	if b.accounts == nil {
		return nil
	}
	for _, id := range slices.Sorted(maps.Keys(b.accounts.changed)) {
		acc := b.accounts.changed[id]
		rec, err := json.Marshal(acc)
		if err != nil {
			return err
		}
		b.batch.PutAccount(id, rec)
	}
	for pub, id := range b.accounts.keys {
		b.batch.PutKeyOwner([]byte(pub), id)
	}
	b.batch.PutIdentityDigest(b.accounts.digest[:])
	return nil
}

// commitAccounts makes a committed block's account changes visible.
func (a *App) commitAccounts(b *stagedBlock) {
	if b.accounts == nil {
		return
	}
	a.accounts.mu.Lock()
	for _, acc := range b.accounts.changed {
		a.accounts.put(acc)
	}
	a.accounts.mu.Unlock()
}

// depositRefusal says why a key may not deposit at a height, or "" if it
// may: it must be an active key of an approved depositor account, or the
// log key of an active member, whose node deposits its access trail.
func (a *App) depositRefusal(dir identity.Directory, pub []byte, height uint64) string {
	if _, member := a.members.Load().byLogKey[string(pub)]; member {
		return ""
	}
	id, _ := dir.KeyOwner(pub) // neither directory fails
	if id == "" {
		return "the depositor key belongs to no account; register at an institution and be approved first"
	}
	acc, _ := dir.Account(id)
	switch {
	case acc.Role != identity.Depositor:
		return fmt.Sprintf("account %s is a %s account; only depositor accounts deposit", id, acc.Role)
	case acc.Status != identity.Approved:
		return fmt.Sprintf("account %s is %s; only approved accounts deposit", id, acc.Status)
	}
	if _, ok := acc.ActiveKey(pub, height); !ok {
		return fmt.Sprintf("the depositor key is not an active key of account %s (revoked or rotated)", id)
	}
	return ""
}

// CheckIdentity judges a signed identity operation against the committed
// accounts, as CheckTx will.
func (a *App) CheckIdentity(signed []byte) error {
	_, _, err := a.applyIdentity(a.accounts, signed, a.Committed().Height+1)
	return err
}

// DepositRefusal says why a key may not deposit in the next block, or ""
// if it may. The ledger decides again when it orders the deposit.
func (a *App) DepositRefusal(pub []byte) string {
	return a.depositRefusal(a.accounts, pub, a.Committed().Height+1)
}

// Account returns the committed account with this id, or nil. The account
// must not be modified.
func (a *App) Account(id string) *identity.Account {
	acc, _ := a.accounts.Account(id)
	return acc
}

// AccountByKey returns the committed account that holds or held a key, or
// nil.
func (a *App) AccountByKey(pub []byte) *identity.Account {
	id, _ := a.accounts.KeyOwner(pub)
	return a.Account(id)
}

// Accounts returns the committed accounts of an institution, in id order.
func (a *App) Accounts(institution string) []*identity.Account {
	a.accounts.mu.RLock()
	defer a.accounts.mu.RUnlock()
	var out []*identity.Account
	for _, acc := range a.accounts.byID {
		if acc.Institution == institution {
			out = append(out, acc)
		}
	}
	slices.SortFunc(out, func(x, y *identity.Account) int { return strings.Compare(x.ID, y.ID) })
	return out
}
