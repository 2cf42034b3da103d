// Package store keeps a Jurichain node's state: the append-only log
// (leaves and tile-level hashes) in flat files, and in an embedded Pebble
// database the state record, the indexes derived from the log, the signed
// checkpoints, the node-local metadata openings and the nonces of recent
// signed API requests (nonces.go).
//
// Writes that belong to a block go through a Batch that the ledger commits
// at once: log files first (synced), then one synced Pebble batch that
// records the new tree size. A crash leaves either the whole block or none
// of it: on open, the files are cut back to the recorded size. Reads are
// safe for concurrent use with writes.
package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"

	"github.com/jurichain/jurichain/suite"
)

// ErrNotFound is returned when a key is absent.
var ErrNotFound = errors.New("not found")

// Key prefixes. Each kind of record has its own, so range scans never mix.
const (
	prefixContent    = 'C' // sha256, index -> (empty)
	prefixDepositID  = 'D' // deposit id -> index
	prefixDepositor  = 'W' // depositor key length, key, index -> (empty)
	prefixTx         = 'T' // index of a transaction's first deposit -> tx hash
	prefixCheckpoint = 'P' // tree size -> signed checkpoint
	prefixOpening    = 'O' // deposit id -> metadata opening (node-local)
	prefixFinal      = 'F' // tree size -> checkpoint cosigned by a quorum
	prefixPolicy     = 'V' // first height -> tlog-policy in force from it
	prefixEvidence   = 'X' // sequence -> misbehaviour evidence
	prefixAccount    = 'A' // account id -> account record
	prefixKeyOwner   = 'K' // public key -> id of the account that holds or held it
	keyIdentity      = "I" // running digest of every identity operation applied
	keyMembership    = "M"
	keyState         = "S"
	keyPending       = "Q" // deposits ordered in the last block, not yet in the log
)

// Store holds one node's state.
type Store struct {
	db  *pebble.DB
	log *logFiles
}

// cacheSize is Pebble's block cache. Recent leaves and hashes, read for
// receipts and proofs, stay in it.
const cacheSize = 32 << 20

// Open opens or creates the store in dir: the log files in dir/log and
// the Pebble database in dir/state.
func Open(dir string, logger *slog.Logger) (*Store, error) {
	cache := pebble.NewCache(cacheSize)
	defer cache.Unref() // the database holds its own reference
	opts := &pebble.Options{Logger: pebbleLogger{logger}, Cache: cache, MemTableSize: 32 << 20}
	for i := range opts.Levels {
		// Every new deposit is looked up by id before it exists; Bloom
		// filters answer those misses without reading tables.
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		// The keys are hashes, which do not compress.
		opts.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
	}
	stateDir := filepath.Join(dir, "state")
	db, err := pebble.Open(stateDir, opts)
	if errors.Is(err, syscall.EAGAIN) {
		return nil, fmt.Errorf("state database in %s is locked: is another jurichain node running on this home? %w", stateDir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening state database in %s: %w", stateDir, err)
	}
	s := &Store{db: db}
	if s.log, err = openLogFiles(filepath.Join(dir, "log")); err != nil {
		db.Close()
		return nil, err
	}
	st, err := s.LoadState()
	if err == nil {
		err = s.log.recover(st.Size)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return errors.Join(s.db.Close(), s.log.close()) }

// State is the ledger's committed position.
type State struct {
	Height  uint64
	AppHash []byte
	Size    uint64
	// Range holds the hashes of the compact range [0, Size).
	Range [][]byte
	// FinalSize is the size of the latest checkpoint cosigned by a quorum.
	FinalSize uint64
	// Pending holds the deposits ordered by block Height, which enter the
	// log in the next block (the ledger's encoding).
	Pending []byte
}

func (st State) marshal() []byte {
	b := binary.BigEndian.AppendUint64(nil, st.Height)
	b = append(b, byte(len(st.AppHash)))
	b = append(b, st.AppHash...)
	b = binary.BigEndian.AppendUint64(b, st.Size)
	b = append(b, byte(len(st.Range)))
	for _, h := range st.Range {
		b = append(b, h...)
	}
	return binary.BigEndian.AppendUint64(b, st.FinalSize)
}

func unmarshalState(b []byte) (State, error) {
	bad := errors.New("corrupt ledger state record")
	if len(b) < 9 {
		return State{}, bad
	}
	var st State
	st.Height = binary.BigEndian.Uint64(b)
	n := int(b[8])
	b = b[9:]
	if len(b) < n+9 {
		return State{}, bad
	}
	st.AppHash = bytes.Clone(b[:n])
	st.Size = binary.BigEndian.Uint64(b[n:])
	r := int(b[n+8])
	b = b[n+9:]
	if len(b) != r*suite.HashSize+8 {
		return State{}, bad
	}
	for i := 0; i < r; i++ {
		st.Range = append(st.Range, bytes.Clone(b[i*suite.HashSize:(i+1)*suite.HashSize]))
	}
	st.FinalSize = binary.BigEndian.Uint64(b[r*suite.HashSize:])
	return st, nil
}

// LoadState returns the last committed state, or the zero State for a new
// database.
func (s *Store) LoadState() (State, error) {
	v, err := s.get([]byte(keyState))
	if errors.Is(err, ErrNotFound) {
		return State{}, nil
	}
	if err != nil {
		return State{}, err
	}
	st, err := unmarshalState(v)
	if err != nil {
		return State{}, err
	}
	if st.Pending, err = s.get([]byte(keyPending)); err != nil && !errors.Is(err, ErrNotFound) {
		return State{}, err
	}
	return st, nil
}

func (s *Store) get(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading state database: %w", err)
	}
	defer closer.Close()
	return bytes.Clone(v), nil
}

func key(prefix byte, parts ...[]byte) []byte {
	k := []byte{prefix}
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// Leaf returns the leaf at index.
func (s *Store) Leaf(index uint64) ([]byte, error) {
	ls, err := s.log.leaves(index, index+1)
	if err != nil {
		return nil, err
	}
	return ls[0], nil
}

// Leaves returns the leaves with indexes [start, end), which must all exist.
func (s *Store) Leaves(start, end uint64) ([][]byte, error) { return s.log.leaves(start, end) }

// ReadHashes implements tlog.HashReader.
func (s *Store) ReadHashes(tileLevel uint8, start, end uint64) ([][]byte, error) {
	return s.log.readHashes(tileLevel, start, end)
}

// DepositIndex returns the leaf index of the deposit with the given id.
func (s *Store) DepositIndex(id []byte) (uint64, error) {
	v, err := s.get(key(prefixDepositID, id))
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(v), nil
}

// DepositIDs calls fn with every deposit id in the store.
func (s *Store) DepositIDs(fn func(id []byte)) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixDepositID}, UpperBound: []byte{prefixDepositID + 1}})
	if err != nil {
		return fmt.Errorf("reading state database: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		fn(it.Key()[1:])
	}
	return it.Error()
}

// ByContent returns the indexes, from index from on, of the deposits of
// the content with this SHA-256, oldest first, at most limit of them.
func (s *Store) ByContent(sha256 []byte, from uint64, limit int) ([]uint64, error) {
	return s.indexes(key(prefixContent, sha256, u64(from)), key(prefixContent, sha256, bytes.Repeat([]byte{0xff}, 9)), limit)
}

// indexes returns the leaf indexes that end the keys in [lo, hi).
func (s *Store) indexes(lo, hi []byte, limit int) ([]uint64, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("reading state database: %w", err)
	}
	defer it.Close()
	var out []uint64
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		k := it.Key()
		out = append(out, binary.BigEndian.Uint64(k[len(k)-8:]))
	}
	return out, it.Error()
}

// ByDepositor returns the indexes of up to limit deposits signed with a
// depositor key, oldest first.
func (s *Store) ByDepositor(pub []byte, limit int) ([]uint64, error) {
	lo := key(prefixDepositor, []byte{byte(len(pub))}, pub)
	return s.indexes(lo, append(bytes.Clone(lo), bytes.Repeat([]byte{0xff}, 9)...), limit)
}

// TxHash returns the hash of the transaction that carried the deposit at
// index.
func (s *Store) TxHash(index uint64) ([]byte, error) {
	return s.last([]byte{prefixTx}, key(prefixTx, u64(index+1)))
}

// LatestCheckpoint returns the signed checkpoint with the largest size.
func (s *Store) LatestCheckpoint() ([]byte, error) {
	return s.last([]byte{prefixCheckpoint}, []byte{prefixCheckpoint + 1})
}

// Checkpoint returns this node's signed checkpoint of the given size.
func (s *Store) Checkpoint(size uint64) ([]byte, error) {
	return s.get(key(prefixCheckpoint, u64(size)))
}

// LatestFinal returns the latest checkpoint cosigned by a quorum.
func (s *Store) LatestFinal() ([]byte, error) {
	return s.last([]byte{prefixFinal}, []byte{prefixFinal + 1})
}

// Final returns the quorum-cosigned checkpoint of the given size.
func (s *Store) Final(size uint64) ([]byte, error) {
	return s.get(key(prefixFinal, u64(size)))
}

// Membership returns the current membership record.
func (s *Store) Membership() ([]byte, error) { return s.get([]byte(keyMembership)) }

// PolicyAt returns the policy in force at a height: the one recorded at
// the largest height not above it.
func (s *Store) PolicyAt(height uint64) ([]byte, error) {
	return s.last([]byte{prefixPolicy}, key(prefixPolicy, u64(height+1)))
}

// Policies calls fn with every policy record, the height it is in force
// from and its text, oldest first: the policy's history.
func (s *Store) Policies(fn func(from uint64, policy []byte) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixPolicy}, UpperBound: []byte{prefixPolicy + 1}})
	if err != nil {
		return fmt.Errorf("reading state database: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(binary.BigEndian.Uint64(it.Key()[1:]), slices.Clone(it.Value())); err != nil {
			return err
		}
	}
	return it.Error()
}

// Evidence calls fn with every misbehaviour record, oldest first.
func (s *Store) Evidence(fn func(seq uint64, record []byte) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixEvidence}, UpperBound: []byte{prefixEvidence + 1}})
	if err != nil {
		return fmt.Errorf("reading state database: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(binary.BigEndian.Uint64(it.Key()[1:]), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// Account returns the record of an account.
func (s *Store) Account(id string) ([]byte, error) { return s.get(key(prefixAccount, []byte(id))) }

// KeyOwner returns the id of the account that holds or held a key.
func (s *Store) KeyOwner(pub []byte) (string, error) {
	v, err := s.get(key(prefixKeyOwner, pub))
	return string(v), err
}

// Accounts calls fn with every account record, in id order.
func (s *Store) Accounts(fn func(record []byte) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixAccount}, UpperBound: []byte{prefixAccount + 1}})
	if err != nil {
		return fmt.Errorf("reading state database: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// IdentityDigest returns the running digest of the identity operations
// applied, or ErrNotFound before the first.
func (s *Store) IdentityDigest() ([]byte, error) { return s.get([]byte(keyIdentity)) }

// last returns the value of the largest key in [lo, hi).
func (s *Store) last(lo, hi []byte) ([]byte, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("reading state database: %w", err)
	}
	defer it.Close()
	if !it.Last() {
		if err := it.Error(); err != nil {
			return nil, fmt.Errorf("reading state database: %w", err)
		}
		return nil, ErrNotFound
	}
	return bytes.Clone(it.Value()), nil
}

// PutOpenings saves metadata openings, ids[i] with openings[i]: the bytes
// go to the openings file, Pebble keeps where they are. Nothing waits for
// the disk here: the commit of the block that carries the deposits syncs
// the openings file before the state, so every committed deposit's opening
// is durable.
func (s *Store) PutOpenings(ids, openings [][]byte) error {
	offsets, err := s.log.appendOpenings(openings)
	if err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	for i := range ids {
		loc := binary.BigEndian.AppendUint64(nil, uint64(offsets[i]))
		loc = binary.BigEndian.AppendUint32(loc, uint32(len(openings[i])))
		if err := b.Set(key(prefixOpening, ids[i]), loc, nil); err != nil {
			return fmt.Errorf("saving metadata openings: %w", err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("saving metadata openings: %w", err)
	}
	return nil
}

// Opening returns the metadata opening saved for a deposit id.
func (s *Store) Opening(id []byte) ([]byte, error) {
	loc, err := s.get(key(prefixOpening, id))
	if err != nil {
		return nil, err
	}
	if len(loc) != 12 {
		return nil, errors.New("corrupt opening location")
	}
	return s.log.readOpening(int64(binary.BigEndian.Uint64(loc)), int(binary.BigEndian.Uint32(loc[8:])))
}

// Batch collects the writes of one block.
type Batch struct {
	s         *Store
	b         *pebble.Batch
	first     uint64
	leaves    [][]byte
	hashes    [tileLevels]levelHashes
	hasLeaves bool
}

// NewBatch starts a batch.
func (s *Store) NewBatch() *Batch { return &Batch{s: s, b: s.db.NewBatch()} }

// PutLeaf appends a leaf. Leaves must be put in index order, the first at
// the current tree size.
func (b *Batch) PutLeaf(index uint64, leaf []byte) {
	if !b.hasLeaves {
		b.first, b.hasLeaves = index, true
	}
	if index != b.first+uint64(len(b.leaves)) {
		panic(fmt.Sprintf("store: leaf %d put out of order", index))
	}
	b.leaves = append(b.leaves, leaf)
}

// PutHash appends a tile-level node hash. The hashes of each level must be
// put in index order.
func (b *Batch) PutHash(tileLevel uint8, index uint64, h []byte) {
	lh := &b.hashes[tileLevel]
	if len(lh.hashes) == 0 {
		lh.first = index
	}
	if index != lh.first+uint64(len(lh.hashes)/suite.HashSize) {
		panic(fmt.Sprintf("store: hash %d/%d put out of order", tileLevel, index))
	}
	lh.hashes = append(lh.hashes, h...)
}

// PutDeposit indexes a deposit by id, content digest and depositor key.
func (b *Batch) PutDeposit(id, sha256, depositor []byte, index uint64) {
	b.set(key(prefixDepositID, id), u64(index))
	b.set(key(prefixContent, sha256, u64(index)), nil)
	b.set(key(prefixDepositor, []byte{byte(len(depositor))}, depositor, u64(index)), nil)
}

// PutTx records the hash of the transaction whose first deposit is at
// firstIndex.
func (b *Batch) PutTx(firstIndex uint64, txHash []byte) {
	b.set(key(prefixTx, u64(firstIndex)), txHash)
}

// PutCheckpoint stores a signed checkpoint.
func (b *Batch) PutCheckpoint(size uint64, note []byte) {
	b.set(key(prefixCheckpoint, u64(size)), note)
}

// PutFinal stores a checkpoint cosigned by a quorum.
func (b *Batch) PutFinal(size uint64, note []byte) {
	b.set(key(prefixFinal, u64(size)), note)
}

// PutMembership replaces the membership record.
func (b *Batch) PutMembership(record []byte) { b.set([]byte(keyMembership), record) }

// PutPolicy records the policy in force from a height.
func (b *Batch) PutPolicy(fromHeight uint64, policy []byte) {
	b.set(key(prefixPolicy, u64(fromHeight)), policy)
}

// PutEvidence records misbehaviour evidence under a sequence number.
func (b *Batch) PutEvidence(seq uint64, record []byte) {
	b.set(key(prefixEvidence, u64(seq)), record)
}

// PutAccount records an account as it stands.
func (b *Batch) PutAccount(id string, record []byte) { b.set(key(prefixAccount, []byte(id)), record) }

// PutKeyOwner records which account a key belongs to; keys are never
// reused, so this is written once per key.
func (b *Batch) PutKeyOwner(pub []byte, id string) { b.set(key(prefixKeyOwner, pub), []byte(id)) }

// PutIdentityDigest records the running digest of identity operations.
func (b *Batch) PutIdentityDigest(d []byte) { b.set([]byte(keyIdentity), d) }

// PutState records the committed state.
func (b *Batch) PutState(st State) {
	b.set([]byte(keyState), st.marshal())
	b.set([]byte(keyPending), st.Pending)
}

// set cannot fail on an open in-memory batch; Pebble returns an error only
// for a batch already committed, which would be a bug here.
func (b *Batch) set(k, v []byte) {
	if err := b.b.Set(k, v, nil); err != nil {
		panic(fmt.Sprintf("store: writing to a closed batch: %v", err))
	}
}

// Commit writes the batch durably (fsync), log files first, and releases
// it.
func (b *Batch) Commit() error {
	defer b.b.Close()
	if err := b.s.log.appendBlock(b.first, b.leaves, &b.hashes); err != nil {
		return err
	}
	if err := b.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("committing block to state database: %w", err)
	}
	b.s.log.committed(b.leaves)
	return nil
}

// Discard releases an uncommitted batch.
func (b *Batch) Discard() { b.b.Close() }

// pebbleLogger sends Pebble's warnings and errors to slog and drops its
// informational messages (it reports every WAL it opens).
type pebbleLogger struct{ l *slog.Logger }

func (pebbleLogger) Infof(string, ...any) {}
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error("pebble: " + fmt.Sprintf(format, args...))
}

// Fatalf must not return: Pebble calls it when continuing would corrupt
// the database.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error("pebble: fatal: " + fmt.Sprintf(format, args...))
	os.Exit(1)
}
