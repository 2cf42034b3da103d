package certpdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/suite"
)

// hostileSize is the largest body the public certificate check endpoint
// takes, which is what an attacker sends.
const hostileSize = 4 << 20

// hostilePDF builds a structurally valid file of about size bytes whose
// objects are each body: xref and trailer are right, so Read parses every
// object before it looks for a signature.
func hostilePDF(size int, body string) []byte {
	n := max(1, min(maxObjects-1, size/(len(body)+24)))
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offsets := make([]int, n+1)
	for i := 1; i <= n; i++ {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i, body)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", n+1)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%010d 00000 n \n", offsets[i])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", n+1, xref)
	return b.Bytes()
}

// repeated is an array (or, with "<<" and ">>", a dictionary) of n
// elements made by elem.
func repeated(open, close string, n int, elem func(i int) string) string {
	var b strings.Builder
	b.WriteString(open)
	for i := range n {
		b.WriteString(elem(i))
	}
	b.WriteString(close)
	return b.String()
}

// hostileBodies are objects that cost a parser far more than their size:
// before the reader was bounded, dictionaries of 65,535 keys took a
// minute to read (each key compared with all before it) and arrays of
// empty arrays allocated 217 MiB for 4 MiB.
func hostileBodies() []struct{ name, body string } {
	const n = maxContainer - 1
	return []struct{ name, body string }{
		{"dictionaries of 65535 keys", repeated("<<", ">>", n, func(i int) string { return fmt.Sprintf("/%04x 1", i) })},
		{"dictionary with a key twice", repeated("<<", ">>", n, func(i int) string { return fmt.Sprintf("/%04x 1", i%(n-1)) })},
		{"arrays of empty arrays", repeated("[", "]", n, func(int) string { return "[]" })},
		{"arrays of empty dictionaries", repeated("[", "]", n/2, func(int) string { return "<<>>" })},
		{"arrays of nested arrays", repeated("[", "]", 2048, func(int) string { return strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) })},
		{"arrays nested too deep", repeated("[", "]", 2048, func(int) string { return strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) })},
		{"arrays of empty strings", repeated("[", "]", n, func(int) string { return "()" })},
		{"arrays of empty hex strings", repeated("[", "]", n, func(int) string { return "<>" })},
		{"arrays of references", repeated("[", "]", n, func(int) string { return "1 0 R " })},
		{"arrays of names", repeated("[", "]", n, func(int) string { return "/a" })},
		{"arrays of escaped names", repeated("[", "]", 4096, func(int) string { return "/" + strings.Repeat("#41", maxNameLength) + " " })},
		{"arrays of integers", repeated("[", "]", n, func(int) string { return "1000 " })},
		{"arrays of reals", repeated("[", "]", n, func(int) string { return ".5 " })},
		{"many small objects", "null"},
	}
}

// readCost reads pdf once and returns what that allocated.
func readCost(pdf []byte) (allocs, bytes uint64, err error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = Read(pdf)
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs, after.TotalAlloc - before.TotalAlloc, err
}

// TestReadHostileInputCost reads files of 4 MiB built to make a parser
// work and allocate far more than their size. Read must refuse each (none
// is a certificate), allocating at most five times the file's size, in at
// most two allocations for each value the file may hold (one per
// bytesPerValue bytes). A sealed certificate whose attachment decodes to
// 64 MiB is refused having allocated at most three times its decodeBudget
// more (see readAtMost). A
// sealed certificate of each suite, for comparison, stays within the
// same bounds.
func TestReadHostileInputCost(t *testing.T) {
	const (
		bytesPerInputByte  = 5
		allocsPerInputByte = 2.0 / bytesPerValue
	)
	check := func(t *testing.T, pdf []byte, wantErr bool, decoding uint64) {
		t.Helper()
		allocs := testing.AllocsPerRun(1, func() { _, _ = Read(pdf) })
		_, allocated, err := readCost(pdf)
		if wantErr && err == nil {
			t.Fatal("Read accepts it")
		}
		if !wantErr && err != nil {
			t.Fatal(err)
		}
		t.Logf("%d bytes: %.0f allocations, %d KiB allocated; %v", len(pdf), allocs, allocated>>10, err)
		if limit := bytesPerInputByte*uint64(len(pdf)) + 1<<20 + decoding; allocated > limit {
			t.Errorf("Read allocated %d bytes for %d, more than %d", allocated, len(pdf), limit)
		}
		if limit := allocsPerInputByte*float64(len(pdf)) + 2*baseValues; allocs > limit {
			t.Errorf("Read made %.0f allocations for %d bytes, more than %.0f", allocs, len(pdf), limit)
		}
	}
	for _, h := range hostileBodies() {
		t.Run(h.name, func(t *testing.T) { check(t, hostilePDF(hostileSize, h.body), true, 0) })
	}
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range suite.All() {
		t.Run(cs.Name()+"/sealed certificate", func(t *testing.T) {
			pdf, err := r.Render(forgeryDocument(cs))
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := Seal(pdf, forgerySealOptions())
			if err != nil {
				t.Fatal(err)
			}
			check(t, sealed, false, 0)
		})
		t.Run(cs.Name()+"/attachment decoding to 64 MiB", func(t *testing.T) {
			pdf, err := r.Render(forgeryDocument(cs))
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := Seal(pdf, forgerySealOptions())
			if err != nil {
				t.Fatal(err)
			}
			bomb := attachmentBomb(t, sealed)
			if _, err := Read(bomb); err == nil || !strings.Contains(err.Error(), "decode to more than") {
				t.Fatalf("Read: %v, want an error saying the streams decode to too much", err)
			}
			check(t, bomb, true, 3*uint64(decodeBudget(len(bomb))))
		})
	}
}

// attachmentBomb replaces the data of the first embedded file of a sealed
// certificate with a zlib stream of zeros that decodes to 64 MiB, and
// fixes the offsets after it, so that the file is otherwise sound.
func attachmentBomb(t *testing.T, sealed []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(make([]byte, 64<<20)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)/Length \d+>>\nstream\n.*?\nendstream`).FindIndex(sealed[bytes.Index(sealed, []byte("/Type /EmbeddedFile")):])
	if m == nil {
		t.Fatal("no embedded file")
	}
	at := bytes.Index(sealed, []byte("/Type /EmbeddedFile"))
	stream := fmt.Appendf(nil, "/Length %d>>\nstream\n%s\nendstream", z.Len(), z.Bytes())
	return spliceUpdate(t, sealed, at+m[0], at+m[1], stream)
}

// TestDictionaryKeys parses dictionaries small and large, with and
// without a key twice: the large ones are checked by sorting their keys,
// and must find a repeat wherever it is.
func TestDictionaryKeys(t *testing.T) {
	keys := func(n int, name func(i int) string) string {
		return repeated("<<", ">>", n, func(i int) string { return "/" + name(i) + " 1" })
	}
	for _, tc := range []struct {
		name string
		dict string
		want string // empty: it parses
	}{
		{"empty", "<<>>", ""},
		{"small", keys(smallDict, func(i int) string { return fmt.Sprint("k", i) }), ""},
		{"small, a key twice", keys(smallDict, func(i int) string { return fmt.Sprint("k", i%(smallDict-1)) }), "key /k0 twice"},
		{"one past small", keys(smallDict+1, func(i int) string { return fmt.Sprint("k", i) }), ""},
		{"one past small, last key twice", keys(smallDict+1, func(i int) string { return fmt.Sprint("k", min(i, smallDict-1)) }), fmt.Sprintf("key /k%d twice", smallDict-1)},
		{"large", keys(maxContainer, func(i int) string { return fmt.Sprintf("%04x", i) }), ""},
		{"large, first and last key the same", keys(maxContainer, func(i int) string { return fmt.Sprintf("%04x", i%(maxContainer-1)) }), "key /0000 twice"},
		{"too large", keys(maxContainer+1, func(i int) string { return fmt.Sprintf("%05x", i) }), "more than 65536 entries"},
		{"null entry repeats a key", "<</a null/a 1>>", ""},
		{"nested dictionaries each with the same key", "<</a<</a<</a 1>>>>>>", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &parser{buf: []byte(tc.dict), lim: &limits{values: maxValues}}
			v, err := p.value(0)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := v.(*pdfDict); !ok {
					t.Fatalf("parsed %T", v)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("parse: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// BenchmarkReadHostile reads each hostile file of TestReadHostileInputCost.
func BenchmarkReadHostile(b *testing.B) {
	for _, h := range hostileBodies() {
		pdf := hostilePDF(hostileSize, h.body)
		b.Run(strings.ReplaceAll(h.name, " ", "-"), func(b *testing.B) {
			b.SetBytes(int64(len(pdf)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Read(pdf); err == nil {
					b.Fatal("Read accepts it")
				}
			}
		})
	}
}
