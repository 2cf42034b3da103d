package evidencepack

import (
	"encoding/binary"
	"errors"
	"io"
)

// The ZIP end records, as archive/zip reads them.
const (
	endSignature      = "PK\x05\x06"
	end64LocSignature = "PK\x06\x07"
	end64Signature    = "PK\x06\x06"
	endLen            = 22
	end64LocLen       = 20
	end64Len          = 56
	// endSearch is how far from the end archive/zip looks for the end
	// record (which a comment of up to 64 KiB may follow).
	endSearch = 65 << 10
)

// zipEnd is what the end records of a ZIP declare about its central
// directory, and start, where a ZIP reader starts reading its entries.
type zipEnd struct {
	entries, size uint64
	start         int64
}

// directoryEnd refuses, from the end records alone, a ZIP whose central
// directory exceeds the limits: zip.NewReader holds every entry of it in
// memory (a few hundred bytes each) before structure can count them. A
// ZIP whose end records archive/zip would not accept is left to
// zip.NewReader to refuse.
func (v *verifier) directoryEnd(r io.ReaderAt, size int64) bool {
	e, err := readEnd(r, size)
	if err != nil {
		return true
	}
	switch span := uint64(size - e.start); {
	case e.entries > uint64(v.lim.Entries):
		v.problem("", CheckSize, "the ZIP declares %d entries, more than the %d accepted", e.entries, v.lim.Entries)
	case e.size > v.lim.Directory:
		v.problem("", CheckSize, "the ZIP's central directory declares %d bytes, more than the %d accepted", e.size, v.lim.Directory)
	case span > v.lim.Directory:
		// The entry count is compared only modulo 65,536 by a ZIP
		// reader, which reads entries until one is not: what can be
		// read is bounded by where they start.
		v.problem("", CheckSize, "the ZIP's central directory starts %d bytes before the end of the file, more than the %d accepted", span, v.lim.Directory)
	default:
		return true
	}
	return false
}

var errNoEnd = errors.New("no ZIP end record archive/zip would accept")

// readEnd finds and reads the end records as archive/zip does: the last
// end record in the last 65 KiB whose comment fits, then the zip64 one
// its locator points to when a field of the end record says zip64.
func readEnd(r io.ReaderAt, size int64) (*zipEnd, error) {
	n := min(size, endSearch)
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	p := -1
	for i := len(buf) - endLen; i >= 0; i-- {
		if string(buf[i:i+4]) == endSignature {
			if int(binary.LittleEndian.Uint16(buf[i+20:]))+endLen+i > len(buf) {
				return nil, errNoEnd
			}
			p = i
			break
		}
	}
	if p < 0 {
		return nil, errNoEnd
	}
	endOff := size - n + int64(p)
	b := buf[p:]
	entries, dirSize, dirOff := uint64(binary.LittleEndian.Uint16(b[10:])), uint64(binary.LittleEndian.Uint32(b[12:])), uint64(binary.LittleEndian.Uint32(b[16:]))
	// archive/zip's test for zip64, 0xffff for the size included.
	if (entries == 0xffff || dirSize == 0xffff || dirOff == 0xffffffff) && endOff >= end64LocLen {
		loc := make([]byte, end64LocLen)
		if _, err := r.ReadAt(loc, endOff-end64LocLen); err != nil {
			return nil, err
		}
		if string(loc[:4]) == end64LocSignature && binary.LittleEndian.Uint32(loc[4:]) == 0 && binary.LittleEndian.Uint32(loc[16:]) == 1 {
			off := binary.LittleEndian.Uint64(loc[8:])
			rec := make([]byte, end64Len)
			if off > uint64(size) {
				return nil, errNoEnd
			}
			if _, err := r.ReadAt(rec, int64(off)); err != nil {
				return nil, err
			}
			if string(rec[:4]) != end64Signature {
				return nil, errNoEnd
			}
			entries, dirSize, dirOff = binary.LittleEndian.Uint64(rec[32:]), binary.LittleEndian.Uint64(rec[40:]), binary.LittleEndian.Uint64(rec[48:])
			endOff = int64(off)
		}
	}
	if dirSize > 1<<62 || dirOff > 1<<62 {
		// Beyond any limit, and beyond what int64 arithmetic below holds.
		return &zipEnd{entries: entries, size: dirSize}, nil
	}
	// archive/zip reads the directory from its declared size before the
	// end record or, when there is an entry there, from its declared
	// offset: the earlier of the two bounds what it reads.
	start := min(endOff-int64(dirSize), int64(dirOff))
	return &zipEnd{entries: entries, size: dirSize, start: max(start, 0)}, nil
}
