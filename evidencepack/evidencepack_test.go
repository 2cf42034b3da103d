package evidencepack_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/evidencepack"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// entry is one ZIP entry of a rewritten package.
type entry struct {
	name string
	data []byte
	// declared, when set, is the uncompressed size written in the
	// headers instead of len(data).
	declared uint64
	// badCRC writes a CRC-32 that is not the data's.
	badCRC bool
	// mode, when set, is the entry's Unix mode.
	mode fs.FileMode
}

// entries reads a package's entries in order.
func entries(t testing.TB, pkg []byte) []entry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{name: f.Name, data: b})
	}
	return out
}

// write makes a ZIP of the entries as given: unsafe names, duplicates and
// lying sizes included.
func write(t testing.TB, es []entry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range es {
		if e.declared != 0 || e.badCRC {
			size, crc := e.declared, crc32.ChecksumIEEE(e.data)
			if size == 0 {
				size = uint64(len(e.data))
			}
			if e.badCRC {
				crc ^= 1
			}
			w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Store, CRC32: crc,
				CompressedSize64: uint64(len(e.data)), UncompressedSize64: size})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(e.data)
			continue
		}
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			fh.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func find(es []entry, prefix string) int {
	for i, e := range es {
		if strings.HasPrefix(e.name, prefix) {
			return i
		}
	}
	return -1
}

var suites = []*suite.Suite{suite.International(), suite.GM()}

// TestRoundTrip builds a package and verifies it, in both suites: with
// the package's policies, with the trusted one given, and under another
// network's policy, which refuses the manifest's signature.
func TestRoundTrip(t *testing.T) {
	for _, cs := range suites {
		t.Run(cs.Name(), func(t *testing.T) {
			l := newTestLog(t, cs, 3)
			src := &source{l: l, withOriginal: map[string]bool{l.items[0].Deposit: true, l.items[2].Deposit: true}, history: [][]byte{l.policyText}}
			pkg := l.buildFrom(t, src)
			rep := verify(t, pkg, evidencepack.Options{})
			if !rep.OK || rep.PolicySource != "package" || len(rep.Items) != 3 {
				t.Fatalf("report: %+v", rep)
			}
			if rep.Origin != testOrigin || rep.Case != "(2026)京0491民初123号 part 2" || rep.Court != "court" || rep.Institution != "Court of Test 测试法院" {
				t.Errorf("header: %+v", rep)
			}
			for i, it := range rep.Items {
				if it.Verdict != evidencepack.Verified || it.Deposit != l.items[i].Deposit || it.Number != uint64(2*i) || it.Digests[cs.ContentDigest()] == "" {
					t.Errorf("item %d: %+v", i, it)
				}
				noOriginal := strings.Contains(strings.Join(it.Notes, ";"), "content not checked")
				if noOriginal != (i == 1) {
					t.Errorf("item %d notes: %q", i, it.Notes)
				}
			}
			rep = verify(t, pkg, evidencepack.Options{Policies: map[string]*policy.Policy{testOrigin: l.policy}})
			if !rep.OK || rep.PolicySource != "given" {
				t.Fatalf("with the trusted policy: %+v", rep)
			}
			other := newTestLog(t, cs, 1)
			rep = verify(t, pkg, evidencepack.Options{Policies: map[string]*policy.Policy{testOrigin: other.policy}})
			if rep.OK || len(rep.Problems) != 1 || rep.Problems[0].Check != evidencepack.CheckSignature || rep.Problems[0].Path != evidencepack.ManifestPath {
				t.Fatalf("under another network's policy: %+v", rep.Problems)
			}
			rep = verify(t, pkg, evidencepack.Options{Policies: map[string]*policy.Policy{}})
			if rep.OK || rep.Problems[0].Check != evidencepack.CheckPolicy {
				t.Fatalf("without the network's policy: %+v", rep.Problems)
			}
			var list evidencepack.ItemList
			for _, e := range entries(t, pkg) {
				if e.name == evidencepack.ItemsPath {
					if err := json.Unmarshal(e.data, &list); err != nil {
						t.Fatal(err)
					}
				}
			}
			if len(list.Items) != 3 || list.Items[0].Original != "items/1/original/合同_final.txt" || list.Items[1].Original != "" || len(list.Policies) != 2 {
				t.Errorf("items.json: %+v", list)
			}
		})
	}
}

// TestTampering changes a built package in one way each and checks that
// the verifier refuses it naming the path and the check.
func TestTampering(t *testing.T) {
	for _, cs := range suites {
		t.Run(cs.Name(), func(t *testing.T) {
			l := newTestLog(t, cs, 3)
			pkg := l.build(t)
			for _, tc := range []struct {
				name   string
				change func([]entry) []entry
				// item is the failing item's path ("" for a problem of
				// the package); path and check must be named.
				item, path, check string
			}{
				{"one byte of one original", func(es []entry) []entry {
					i := find(es, "items/2/original/")
					es[i].data[0] ^= 1
					return es
				}, "items/2", "items/2/original/合同_final.txt", evidencepack.CheckFile},
				{"one receipt", func(es []entry) []entry {
					i := find(es, "items/3/receipt.tlog-proof")
					es[i].data[len(es[i].data)/2] ^= 1
					return es
				}, "items/3", "items/3/receipt.tlog-proof", evidencepack.CheckFile},
				{"one manifest line", func(es []entry) []entry {
					i := find(es, evidencepack.ManifestPath)
					j := bytes.Index(es[i].data, []byte("items/1/opening.json"))
					es[i].data[j-10] ^= 1 // a digit of its size
					return es
				}, "", evidencepack.ManifestPath, evidencepack.CheckSignature},
				{"an extra file", func(es []entry) []entry {
					return append(es, entry{name: "items/2/extra.txt", data: []byte("x")})
				}, "items/2", "items/2/extra.txt", evidencepack.CheckUnlisted},
				{"an extra file at the root", func(es []entry) []entry {
					return append(es, entry{name: "readme.txt", data: []byte("x")})
				}, "", "readme.txt", evidencepack.CheckLayout},
				{"a missing file", func(es []entry) []entry {
					i := find(es, "items/1/opening.json")
					return append(es[:i], es[i+1:]...)
				}, "items/1", "items/1/opening.json", evidencepack.CheckMissing},
				{"a missing item", func(es []entry) []entry {
					var out []entry
					for _, e := range es {
						if !strings.HasPrefix(e.name, "items/3/") {
							out = append(out, e)
						}
					}
					return out
				}, "items/3", "items/3/receipt.tlog-proof", evidencepack.CheckMissing},
				{"a zip-slip path", func(es []entry) []entry {
					return append(es, entry{name: "../../etc/cron.d/x", data: []byte("x")})
				}, "", "../../etc/cron.d/x", "path"},
				{"an absolute path", func(es []entry) []entry {
					return append(es, entry{name: "/tmp/x", data: []byte("x")})
				}, "", "/tmp/x", "path"},
				{"a backslash path", func(es []entry) []entry {
					return append(es, entry{name: `items\..\..\x`, data: []byte("x")})
				}, "", `items\..\..\x`, "path"},
				{"a duplicate entry", func(es []entry) []entry {
					i := find(es, "items/1/receipt.tlog-proof")
					return append(es, entry{name: es[i].name, data: []byte("other")})
				}, "", "items/1/receipt.tlog-proof", evidencepack.CheckDuplicate},
				{"a duplicate entry by case", func(es []entry) []entry {
					return append(es, entry{name: "ITEMS.json", data: []byte("{}")})
				}, "", "ITEMS.json", evidencepack.CheckDuplicate},
				{"a wrong CRC-32 of a receipt", func(es []entry) []entry {
					i := find(es, "items/2/receipt.tlog-proof")
					es[i].badCRC = true
					return es
				}, "items/2", "items/2/receipt.tlog-proof", evidencepack.CheckZIP},
				{"a wrong CRC-32 of the manifest", func(es []entry) []entry {
					i := find(es, evidencepack.ManifestPath)
					es[i].badCRC = true
					return es
				}, "", evidencepack.ManifestPath, evidencepack.CheckZIP},
				{"a huge declared size", func(es []entry) []entry {
					i := find(es, "items/1/opening.json")
					es[i].declared = 1 << 40
					return es
				}, "", "items/1/opening.json", evidencepack.CheckSize},
			} {
				t.Run(tc.name, func(t *testing.T) {
					rep := verify(t, write(t, tc.change(entries(t, pkg))), evidencepack.Options{})
					if rep.OK {
						t.Fatal("a tampered package verified")
					}
					if tc.item == "" {
						for _, p := range rep.Problems {
							if p.Path == tc.path && p.Check == tc.check {
								return
							}
						}
						t.Fatalf("no problem %s %s in %+v", tc.path, tc.check, rep.Problems)
					}
					if len(rep.Problems) != 0 {
						t.Errorf("problems of the package: %+v", rep.Problems)
					}
					for _, it := range rep.Items {
						if it.Path != tc.item {
							if it.Verdict != evidencepack.Verified {
								t.Errorf("%s failed too: %+v", it.Path, it)
							}
							continue
						}
						if it.Verdict != evidencepack.Failed || it.Check != tc.check || !strings.Contains(it.Reason, tc.path) {
							t.Errorf("%s: %+v", it.Path, it)
						}
					}
				})
			}
		})
	}
}

// badSource serves one item whose receipt or original differs from the
// deposit, as a faulty or lying node would.
type badSource struct {
	*source
	receipt func(*evidencepack.Item) *evidencepack.Item
}

func (s *badSource) Item(ctx context.Context, id string) (*evidencepack.Item, error) {
	it, err := s.source.Item(ctx, id)
	if err != nil || id != s.l.items[1].Deposit {
		return it, err
	}
	return s.receipt(it), nil
}

// TestBadContentIsNamed packs items whose receipt, opening or trail record
// is genuine-looking but wrong, signs the manifest properly, and checks
// each is refused naming the item and the check.
func TestBadContentIsNamed(t *testing.T) {
	cs := suite.International()
	l := newTestLog(t, cs, 3)
	for _, tc := range []struct {
		name   string
		change func(*evidencepack.Item) *evidencepack.Item
		check  string
		path   string
	}{
		{"an inclusion proof of another tree", func(it *evidencepack.Item) *evidencepack.Item {
			rc, _ := receipt.Parse(it.Receipt)
			rc.Proof[0][0] ^= 1
			return &evidencepack.Item{Deposit: it.Deposit, Receipt: rc.Format(), Opening: it.Opening}
		}, evidencepack.CheckReceipt, "items/2/receipt.tlog-proof"},
		{"another deposit's opening", func(it *evidencepack.Item) *evidencepack.Item {
			return &evidencepack.Item{Deposit: it.Deposit, Receipt: it.Receipt, Opening: l.items[0].Opening}
		}, evidencepack.CheckReceipt, "items/2/opening.json"},
		{"a trail record of another deposit", func(it *evidencepack.Item) *evidencepack.Item {
			return &evidencepack.Item{Deposit: it.Deposit, Receipt: it.Receipt, Opening: it.Opening, Trail: l.items[0].Trail}
		}, evidencepack.CheckTrail, "items/2/trail/1.json"},
		{"a trail record with the receipt of another", func(it *evidencepack.Item) *evidencepack.Item {
			return &evidencepack.Item{Deposit: it.Deposit, Receipt: it.Receipt, Opening: it.Opening,
				Trail: []evidencepack.TrailEntry{{Record: it.Trail[0].Record, Receipt: l.items[0].Trail[0].Receipt}}}
		}, evidencepack.CheckTrail, "items/2/trail/1.tlog-proof"},
		{"an evidence deposit as a trail record", func(it *evidencepack.Item) *evidencepack.Item {
			return &evidencepack.Item{Deposit: it.Deposit, Receipt: it.Receipt, Opening: it.Opening,
				Trail: []evidencepack.TrailEntry{{Record: l.contents[it.Deposit], Receipt: it.Receipt}}}
		}, evidencepack.CheckTrail, "items/2/trail/1.tlog-proof"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkg := l.buildFrom(t, &badSource{source: &source{l: l}, receipt: tc.change})
			rep := verify(t, pkg, evidencepack.Options{})
			if rep.OK || len(rep.Problems) != 0 {
				t.Fatalf("report: %+v", rep)
			}
			it := rep.Items[1]
			if it.Verdict != evidencepack.Failed || it.Check != tc.check || !strings.Contains(it.Reason, tc.path) {
				t.Fatalf("item: %+v", it)
			}
			if rep.Items[0].Verdict != evidencepack.Verified || rep.Items[2].Verdict != evidencepack.Verified {
				t.Errorf("the other items: %+v", rep.Items)
			}
		})
	}
}

// TestNotAPackage refuses what is not a package, saying so.
func TestNotAPackage(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":       nil,
		"text":        []byte("hello"),
		"empty zip":   write(t, nil),
		"no manifest": write(t, []entry{{name: "items.json", data: []byte("{}")}}),
	} {
		rep := verify(t, b, evidencepack.Options{})
		if rep.OK || len(rep.Problems) == 0 {
			t.Errorf("%s: %+v", name, rep)
		}
	}
}

// TestIndexPage checks the page is offline, bilingual and escapes what
// comes from the evidence.
func TestIndexPage(t *testing.T) {
	l := newTestLog(t, suite.International(), 2)
	var page string
	for _, e := range entries(t, l.build(t)) {
		if e.name == evidencepack.IndexPath {
			page = string(e.data)
		}
	}
	for _, want := range []string{"证据包", "Evidence package", "证据清单", "Items", "文件 file &lt;1&gt;.txt", "(2026)京0491民初123号 part 2"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "<1>"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
}
