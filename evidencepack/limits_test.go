package evidencepack_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/evidencepack"
	"github.com/jurichain/jurichain/suite"
)

// endLen is the length of a ZIP end record without a comment.
const endLen = 22

// TestDefaultLimits checks the defaults are a fresh value each time, so
// that no caller changes another's, with every field set (a zero field
// of Options.Limits means "the default").
func TestDefaultLimits(t *testing.T) {
	d := evidencepack.DefaultLimits()
	if d.Entries == 0 || d.Total == 0 || d.Original == 0 || d.Other == 0 || d.Ratio == 0 {
		t.Fatalf("a default is zero: %+v", d)
	}
	d.Entries, d.Total = 1, 1
	if again := evidencepack.DefaultLimits(); again.Entries == 1 || again.Total == 1 {
		t.Fatalf("changing the defaults a caller got changed the package's: %+v", again)
	}
}

// end32 is a ZIP end record declaring entries and a central directory of
// size bytes at off.
func end32(entries uint16, size, off uint32) []byte {
	b := []byte("PK\x05\x06")
	b = binary.LittleEndian.AppendUint32(b, 0) // this disk, the directory's disk
	b = binary.LittleEndian.AppendUint16(b, entries)
	b = binary.LittleEndian.AppendUint16(b, entries)
	b = binary.LittleEndian.AppendUint32(b, size)
	b = binary.LittleEndian.AppendUint32(b, off)
	return binary.LittleEndian.AppendUint16(b, 0) // no comment
}

// end64 is a zip64 end record declaring entries and a central directory
// of size bytes at off, its locator, and the end record saying zip64.
func end64(entries, size, off uint64) []byte {
	b := []byte("PK\x06\x06")
	b = binary.LittleEndian.AppendUint64(b, 44) // the record's size after this field
	b = binary.LittleEndian.AppendUint32(b, 45<<16|45)
	b = binary.LittleEndian.AppendUint64(b, 0) // this disk, the directory's disk
	b = binary.LittleEndian.AppendUint64(b, entries)
	b = binary.LittleEndian.AppendUint64(b, entries)
	b = binary.LittleEndian.AppendUint64(b, size)
	b = binary.LittleEndian.AppendUint64(b, off)
	b = append(b, "PK\x06\x07"...)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, 0) // where the zip64 record is
	b = binary.LittleEndian.AppendUint32(b, 1)
	return append(b, end32(0xffff, 0xffffffff, 0xffffffff)...)
}

// TestDirectoryLimits refuses, from the end records alone, a ZIP that
// declares more entries or a larger central directory than the limits,
// or whose directory is larger than it declares.
func TestDirectoryLimits(t *testing.T) {
	pkg := newTestLog(t, suite.International(), 2).build(t)
	// The package with its end record declaring a directory of 10 bytes.
	small := bytes.Clone(pkg)
	binary.LittleEndian.PutUint32(small[len(small)-endLen+12:], 10)
	for _, tc := range []struct {
		name   string
		zip    []byte
		limits evidencepack.Limits
		reason string
	}{
		{"an end record declaring 65,534 entries", end32(0xfffe, 0, 0), evidencepack.Limits{Entries: 1000}, "declares 65534 entries"},
		{"a zip64 end record declaring 10^6 entries", end64(1_000_000, 0, 0), evidencepack.Limits{Entries: 100_000}, "declares 1000000 entries"},
		{"a zip64 end record declaring 10^7 entries", end64(10_000_000, 0, 0), evidencepack.Limits{}, "declares 10000000 entries"},
		{"a zip64 directory of 1 TiB", end64(10, 1<<40, 0), evidencepack.Limits{}, "declares 1099511627776 bytes"},
		{"a directory of 2^63 bytes", end64(10, 1<<63, 0), evidencepack.Limits{}, "declares 9223372036854775808 bytes"},
		{"a directory larger than the limit", pkg, evidencepack.Limits{Directory: 100}, "central directory declares"},
		{"a directory larger than it declares", small, evidencepack.Limits{Directory: 100}, "starts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := verify(t, tc.zip, evidencepack.Options{Limits: tc.limits})
			if rep.OK || len(rep.Problems) != 1 || rep.Problems[0].Check != evidencepack.CheckSize || !strings.Contains(rep.Problems[0].Reason, tc.reason) {
				t.Fatalf("problems: %+v", rep.Problems)
			}
		})
	}
	if rep := verify(t, small, evidencepack.Options{}); !rep.OK {
		t.Fatalf("under the default limits, archive/zip reads the directory anyway: %+v", rep.Problems)
	}
}
