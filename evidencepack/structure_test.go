package evidencepack_test

import (
	"crypto/sha256"
	"io/fs"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/evidencepack"
)

// resign adds the entries to a package's entries and lists them in its
// manifest, signed again with the node's key: what a packager (or anyone
// holding its key) could make.
func (l *testLog) resign(t testing.TB, es []entry, add ...entry) []entry {
	t.Helper()
	i := find(es, evidencepack.ManifestPath)
	end := strings.Index(string(es[i].data), "\n\n")
	m, err := evidencepack.ParseManifest(string(es[i].data[:end+1]))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range add {
		m.Files = append(m.Files, evidencepack.FileEntry{SHA256: sha256.Sum256(e.data), Size: uint64(len(e.data)), Path: e.name})
	}
	signed, err := note.Sign(&note.Note{Text: m.Text()}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	es[i].data = signed
	return append(es, add...)
}

// TestEntryTypesAndLayout refuses, as a problem of the package naming the
// path, an entry that would unpack as something other than a regular file
// or a directory of the layout, a file outside the layout even when the
// manifest lists it, and two names a file system takes for one.
func TestEntryTypesAndLayout(t *testing.T) {
	for _, cs := range suites {
		t.Run(cs.Name(), func(t *testing.T) {
			l := newTestLog(t, cs, 2)
			pkg := l.build(t)
			original := "items/1/original/合同_final.txt"
			for _, tc := range []struct {
				name   string
				change func(testing.TB, []entry) []entry
				// path and check name the problem; "" for a package
				// that verifies.
				path, check string
			}{
				{"directory entries as zip tools write them", func(_ testing.TB, es []entry) []entry {
					for _, d := range []string{"policies/", "policies/court.example_log/", "items/", "items/1/", "items/1/original/", "items/2/trail/"} {
						es = append(es, entry{name: d, mode: fs.ModeDir | 0o755})
					}
					return es
				}, "", ""},
				{"a symbolic link, listed", func(t testing.TB, es []entry) []entry {
					return l.resign(t, es, entry{name: "items/1/original/passwd", data: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777})
				}, "items/1/original/passwd", evidencepack.CheckEntryType},
				{"a symbolic link as a directory entry", func(_ testing.TB, es []entry) []entry {
					return append(es, entry{name: "items/2/trail/", mode: fs.ModeSymlink | 0o777})
				}, "items/2/trail/", evidencepack.CheckEntryType},
				{"a device, listed", func(t testing.TB, es []entry) []entry {
					return l.resign(t, es, entry{name: "items/2/opening2.json", data: []byte{}, mode: fs.ModeDevice | fs.ModeCharDevice | 0o666})
				}, "items/2/opening2.json", evidencepack.CheckEntryType},
				{"a setuid original", func(_ testing.TB, es []entry) []entry {
					es[find(es, original)].mode = fs.ModeSetuid | 0o755
					return es
				}, original, evidencepack.CheckEntryType},
				{"a 0755 run.sh at the root, listed", func(t testing.TB, es []entry) []entry {
					return l.resign(t, es, entry{name: "run.sh", data: []byte("#!/bin/sh\nrm -rf ~\n"), mode: 0o755})
				}, "run.sh", evidencepack.CheckLayout},
				{"a file in items/ but no item, listed", func(t testing.TB, es []entry) []entry {
					return l.resign(t, es, entry{name: "items/run.sh", data: []byte("x")})
				}, "items/run.sh", evidencepack.CheckLayout},
				{"a file in policies/ that is no policy, listed", func(t testing.TB, es []entry) []entry {
					return l.resign(t, es, entry{name: "policies/run.sh", data: []byte("x")})
				}, "policies/run.sh", evidencepack.CheckLayout},
				{"a directory entry outside the layout", func(_ testing.TB, es []entry) []entry {
					return append(es, entry{name: "bin/", mode: fs.ModeDir | 0o755})
				}, "bin/", evidencepack.CheckLayout},
				{"an NFC and NFD pair", func(_ testing.TB, es []entry) []entry {
					return append(es, entry{name: "items/2/original/caf\u00e9.txt", data: []byte("a")}, entry{name: "items/2/original/cafe\u0301.txt", data: []byte("b")})
				}, "items/2/original/cafe\u0301.txt", evidencepack.CheckDuplicate},
				{"a Kelvin sign and a k", func(_ testing.TB, es []entry) []entry {
					return append(es, entry{name: "items/2/original/k.txt", data: []byte("a")}, entry{name: "items/2/original/\u212a.txt", data: []byte("b")})
				}, "items/2/original/\u212a.txt", evidencepack.CheckDuplicate},
			} {
				t.Run(tc.name, func(t *testing.T) {
					rep := verify(t, write(t, tc.change(t, entries(t, pkg))), evidencepack.Options{})
					if tc.check == "" {
						if !rep.OK {
							t.Fatalf("refused: %+v %+v", rep.Problems, rep.Items)
						}
						return
					}
					if rep.OK {
						t.Fatal("verified")
					}
					// A file outside the layout is reported once, unread,
					// and the items are still judged.
					if tc.check == evidencepack.CheckLayout && (len(rep.Problems) != 1 || len(rep.Items) != 2 || rep.Items[0].Verdict != evidencepack.Verified) {
						t.Fatalf("problems %+v, items %+v", rep.Problems, rep.Items)
					}
					for _, p := range rep.Problems {
						if p.Path == tc.path && p.Check == tc.check {
							return
						}
					}
					t.Fatalf("no problem %s: %s in %+v", tc.path, tc.check, rep.Problems)
				})
			}
		})
	}
}
