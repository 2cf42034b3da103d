package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/jurichain/jurichain/suite"
)

// tileLevels is how many tile levels have a hash file: levels 0..7 hold
// tree levels 0, 8, ..., 56, enough for any 64-bit log.
const tileLevels = 8

// logFiles keeps the append-only parts of the log in flat files, as a
// transparency log's tiles naturally are: the leaves (entries.dat, with
// the end offset of each leaf in entries.idx) and the stored node hashes
// of each tile level (hashes.N, 32 bytes per node at index*32).
//
// They are written and fsynced before the Pebble batch that records the
// new tree size, and truncated back to that size on open, so a crash
// between the two leaves no trace. Reads use pread and are safe while a
// block is being appended beyond the committed size.
type logFiles struct {
	data, idx *os.File
	hashes    [tileLevels]*os.File
	dataEnd   int64 // end of the committed leaves in data

	// openings holds metadata openings back to back, in arrival order.
	// Bytes no index points to (a crash before their deposit committed)
	// are never read.
	openings    *os.File
	openingsMu  sync.Mutex
	openingsEnd int64
}

func openLogFiles(dir string) (*logFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating log directory: %w", err)
	}
	open := func(name string) (*os.File, error) {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening log file: %w", err)
		}
		return f, nil
	}
	l := &logFiles{}
	var err error
	if l.data, err = open("entries.dat"); err != nil {
		return nil, err
	}
	if l.idx, err = open("entries.idx"); err != nil {
		l.close()
		return nil, err
	}
	for i := range l.hashes {
		if l.hashes[i], err = open(fmt.Sprintf("hashes.%d", i)); err != nil {
			l.close()
			return nil, err
		}
	}
	if l.openings, err = open("openings.dat"); err != nil {
		l.close()
		return nil, err
	}
	fi, err := l.openings.Stat()
	if err != nil {
		l.close()
		return nil, err
	}
	l.openingsEnd = fi.Size()
	return l, nil
}

// appendOpenings writes openings after the last ones and returns where
// each starts. Concurrent callers get disjoint ranges.
func (l *logFiles) appendOpenings(openings [][]byte) ([]int64, error) {
	var buf []byte
	for _, o := range openings {
		buf = append(buf, o...)
	}
	l.openingsMu.Lock()
	start := l.openingsEnd
	l.openingsEnd += int64(len(buf))
	l.openingsMu.Unlock()
	if _, err := l.openings.WriteAt(buf, start); err != nil {
		return nil, fmt.Errorf("saving metadata openings: %w", err)
	}
	offsets := make([]int64, len(openings))
	at := start
	for i, o := range openings {
		offsets[i] = at
		at += int64(len(o))
	}
	return offsets, nil
}

func (l *logFiles) readOpening(offset int64, n int) ([]byte, error) {
	buf := make([]byte, n)
	if _, err := l.openings.ReadAt(buf, offset); err != nil {
		return nil, fmt.Errorf("reading metadata opening: %w", err)
	}
	return buf, nil
}

// recover cuts the files back to a log of size leaves: whatever a crash
// left beyond the committed state goes.
func (l *logFiles) recover(size uint64) error {
	fi, err := l.idx.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < int64(8*size) {
		return fmt.Errorf("log index holds %d leaves but the state records %d: the log files are damaged", fi.Size()/8, size)
	}
	if err := l.idx.Truncate(int64(8 * size)); err != nil {
		return fmt.Errorf("repairing log index: %w", err)
	}
	l.dataEnd = 0
	if size > 0 {
		if l.dataEnd, err = l.offset(size - 1); err != nil {
			return err
		}
	}
	if err := l.data.Truncate(l.dataEnd); err != nil {
		return fmt.Errorf("repairing log data: %w", err)
	}
	for i, f := range l.hashes {
		if err := f.Truncate(int64(suite.HashSize * (size >> (8 * i)))); err != nil {
			return fmt.Errorf("repairing hash file %d: %w", i, err)
		}
	}
	return nil
}

// offset returns the end offset of leaf i in the data file.
func (l *logFiles) offset(i uint64) (int64, error) {
	var b [8]byte
	if _, err := l.idx.ReadAt(b[:], int64(8*i)); err != nil {
		return 0, fmt.Errorf("%w: leaf %d", ErrNotFound, i)
	}
	return int64(binary.BigEndian.Uint64(b[:])), nil
}

func (l *logFiles) leaves(start, end uint64) ([][]byte, error) {
	if end <= start {
		return nil, nil
	}
	offs := make([]byte, 8*(end-start+1))
	from := int64(0)
	if start > 0 {
		if _, err := l.idx.ReadAt(offs, int64(8*(start-1))); err != nil {
			return nil, fmt.Errorf("%w: leaves %d to %d", ErrNotFound, start, end)
		}
		from = int64(binary.BigEndian.Uint64(offs))
	} else if _, err := l.idx.ReadAt(offs[8:], 0); err != nil {
		return nil, fmt.Errorf("%w: leaves %d to %d", ErrNotFound, start, end)
	}
	to := int64(binary.BigEndian.Uint64(offs[len(offs)-8:]))
	buf := make([]byte, to-from)
	if _, err := l.data.ReadAt(buf, from); err != nil {
		return nil, fmt.Errorf("reading leaves %d to %d: %w", start, end, err)
	}
	out := make([][]byte, 0, end-start)
	prev := from
	for i := range end - start {
		e := int64(binary.BigEndian.Uint64(offs[8*(i+1):]))
		if e < prev || e > to {
			return nil, errors.New("log index is damaged")
		}
		out = append(out, buf[prev-from:e-from:e-from])
		prev = e
	}
	return out, nil
}

func (l *logFiles) readHashes(tileLevel uint8, start, end uint64) ([][]byte, error) {
	if int(tileLevel) >= tileLevels || end < start {
		return nil, ErrNotFound
	}
	buf := make([]byte, suite.HashSize*(end-start))
	if _, err := l.hashes[tileLevel].ReadAt(buf, int64(suite.HashSize*start)); err != nil {
		return nil, fmt.Errorf("%w: hashes %d..%d of tile level %d", ErrNotFound, start, end, tileLevel)
	}
	out := make([][]byte, end-start)
	for i := range out {
		out[i] = buf[i*suite.HashSize : (i+1)*suite.HashSize : (i+1)*suite.HashSize]
	}
	return out, nil
}

// appendBlock writes a block's leaves (the first at index first) and
// hashes, and syncs every file it touched.
func (l *logFiles) appendBlock(first uint64, leaves [][]byte, hashes *[tileLevels]levelHashes) error {
	var dirty []*os.File
	if len(leaves) > 0 {
		var data []byte
		idx := make([]byte, 0, 8*len(leaves))
		end := l.dataEnd
		for _, lf := range leaves {
			data = append(data, lf...)
			end += int64(len(lf))
			idx = binary.BigEndian.AppendUint64(idx, uint64(end))
		}
		if _, err := l.data.WriteAt(data, l.dataEnd); err != nil {
			return fmt.Errorf("writing log data: %w", err)
		}
		if _, err := l.idx.WriteAt(idx, int64(8*first)); err != nil {
			return fmt.Errorf("writing log index: %w", err)
		}
		dirty = append(dirty, l.data, l.idx)
	}
	for i := range hashes {
		h := &hashes[i]
		if len(h.hashes) == 0 {
			continue
		}
		if _, err := l.hashes[i].WriteAt(h.hashes, int64(suite.HashSize*h.first)); err != nil {
			return fmt.Errorf("writing hashes: %w", err)
		}
		dirty = append(dirty, l.hashes[i])
	}
	// The openings of this block's deposits were written before their
	// transactions were submitted; syncing now makes them durable with the
	// block.
	dirty = append(dirty, l.openings)
	for _, f := range dirty {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("syncing log files: %w", err)
		}
	}
	return nil
}

// committed records that the appended leaves are part of the state.
func (l *logFiles) committed(leaves [][]byte) {
	for _, lf := range leaves {
		l.dataEnd += int64(len(lf))
	}
}

func (l *logFiles) close() error {
	var errs []error
	for _, f := range append([]*os.File{l.data, l.idx, l.openings}, l.hashes[:]...) {
		if f != nil {
			if err := f.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// levelHashes are consecutive hashes of one tile level, from index first.
type levelHashes struct {
	first  uint64
	hashes []byte
}
