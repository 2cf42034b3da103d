package evidencepack_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	mathrand "math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jurichain/jurichain/evidencepack"
	"github.com/jurichain/jurichain/suite"
)

const goodManifest = "jurichain evidence package v1\nnetwork court.example/log\ninstitution Court of Test\ncase Y291cnQ KDIwMjYp5LqsMDQ5MeawkeWInTEyM-WPtw\ncreated 2026-09-21T14:15:00Z\nfile 0000000000000000000000000000000000000000000000000000000000000000 12 items/1/receipt.tlog-proof\n"

func TestParseManifest(t *testing.T) {
	m, err := evidencepack.ParseManifest(goodManifest)
	if err != nil {
		t.Fatal(err)
	}
	if m.Court != "court" || m.Case != "(2026)京0491民初123号" || len(m.Files) != 1 || m.Files[0].Size != 12 || !m.Created.Equal(time.Date(2026, 9, 21, 14, 15, 0, 0, time.UTC)) {
		t.Fatalf("%+v", m)
	}
	if m.Text() != goodManifest {
		t.Fatalf("round trip:\n%s", m.Text())
	}
	line := "file 0000000000000000000000000000000000000000000000000000000000000000 12 "
	for name, text := range map[string]string{
		"no newline":         strings.TrimSuffix(goodManifest, "\n"),
		"another header":     strings.Replace(goodManifest, "v1", "v2", 1),
		"zip slip":           strings.Replace(goodManifest, line+"items", line+"../items", 1),
		"absolute":           strings.Replace(goodManifest, line+"items", line+"/items", 1),
		"backslash":          strings.Replace(goodManifest, "items/1", `items\1`, 1),
		"space in a path":    strings.Replace(goodManifest, "items/1", "items 1", 1),
		"itself":             strings.Replace(goodManifest, "items/1/receipt.tlog-proof", "manifest.txt", 1),
		"upper hex":          strings.Replace(goodManifest, "file 0000", "file AAAA", 1),
		"size with a plus":   strings.Replace(goodManifest, " 12 ", " +12 ", 1),
		"twice":              goodManifest + line + "items/1/receipt.tlog-proof\n",
		"twice by case":      goodManifest + line + "ITEMS/1/receipt.tlog-proof\n",
		"twice as NFC, NFD":  goodManifest + line + "items/1/caf\u00e9\n" + line + "items/1/cafe\u0301\n",
		"twice by folding":   goodManifest + line + "items/1/k\n" + line + "items/1/\u212a\n",
		"control character":  strings.Replace(goodManifest, "Court of Test", "Court\x1b of Test", 1),
		"bidi override":      strings.Replace(goodManifest, "items/1/receipt", "items/1/\u202ereceipt", 1),
		"padded case":        strings.Replace(goodManifest, "Y291cnQ ", "Y291cnQ= ", 1),
		"local time":         strings.Replace(goodManifest, "14:15:00Z", "22:15:00+08:00", 1),
		"a dot file":         strings.Replace(goodManifest, "items/1/receipt", "items/1/.receipt", 1),
		"unknown line":       goodManifest + "note hello\n",
		"a blank line":       goodManifest + "\n",
		"no file size":       strings.Replace(goodManifest, " 12 ", " ", 1),
		"network with space": strings.Replace(goodManifest, "network court.example/log", "network court example", 1),
	} {
		if _, err := evidencepack.ParseManifest(text); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"photo.jpg":                 "photo.jpg",
		"../../etc/passwd":          "passwd",
		`C:\Users\x\合同 最终版.pdf`:     "合同_最终版.pdf",
		".hidden":                   "_hidden",
		"a\u202egpj.exe":            "a_gpj.exe",
		"":                          "original",
		"...":                       "_..",
		strings.Repeat("长", 100):    strings.Repeat("长", 40),
		"name with\x00nul\nand tab": "name_with_nul_and_tab",
	} {
		got := evidencepack.SafeName(in)
		if got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
		if err := evidencepack.CheckPath("items/1/original/" + got); err != nil {
			t.Errorf("SafeName(%q) = %q, refused: %v", in, got, err)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add(goodManifest)
	f.Add(strings.Replace(goodManifest, "items/1", "../x", 1))
	f.Fuzz(func(t *testing.T, text string) {
		m, err := evidencepack.ParseManifest(text)
		if err != nil {
			return
		}
		if m.Text() != text {
			t.Fatalf("accepted a non-canonical manifest:\n%q\n%q", text, m.Text())
		}
		for _, f := range m.Files {
			if err := evidencepack.CheckPath(f.Path); err != nil {
				t.Fatalf("accepted an unsafe path: %v", err)
			}
		}
	})
}

// FuzzVerify feeds arbitrary bytes to the ZIP reader and the verifier:
// nothing may panic, hang or verify.
func FuzzVerify(f *testing.F) {
	l := newTestLogFrom(f, suite.International(), 1, mathrand.NewChaCha8([32]byte{14}))
	f.Add(l.build(f))
	f.Add(write(f, []entry{{name: "manifest.txt", data: []byte(goodManifest)}}))
	f.Add(write(f, []entry{{name: "../x", data: []byte("x")}, {name: "a", data: []byte("a")}, {name: "a", data: []byte("b")}}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Add(end64(1_000_000, 0, 0))
	f.Add(write(f, []entry{{name: "items/1/original/x", data: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}, {name: "run.sh", data: []byte("x"), mode: 0o755}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rep, err := evidencepack.Verify(ctx, bytes.NewReader(b), int64(len(b)), evidencepack.Options{Limits: evidencepack.Limits{Total: 64 << 20}})
		if err != nil {
			t.Fatal(err)
		}
		// Only the genuine item verifies: nothing else carries a
		// signature of the log's key.
		if rep.OK && (len(rep.Items) != 1 || rep.Items[0].Deposit != l.items[0].Deposit) {
			t.Fatalf("verified: %+v", rep)
		}
	})
}

// BenchmarkVerifyPackage10000 verifies a package of 10,000 items, each
// with its receipt, opening and one access-trail record with its receipt,
// and no original: the ZIP, the manifest, 40,000 files, 20,000 receipts.
func BenchmarkVerifyPackage10000(b *testing.B) {
	l := newTestLog(b, suite.International(), 10_000)
	pkg := l.buildFrom(b, &source{l: l})
	// The machine is shared: the CPU time the verification used is
	// reported beside the wall time.
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	n := 0
	for b.Loop() {
		n++
		rep, err := evidencepack.Verify(context.Background(), bytes.NewReader(pkg), int64(len(pkg)), evidencepack.Options{})
		if err != nil || !rep.OK || len(rep.Items) != 10_000 {
			b.Fatal(err, fmt.Sprint(rep.Problems))
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	b.ReportMetric(cpu.Seconds()/float64(n), "cpu-s/op")
	b.ReportMetric(float64(len(pkg))/(1<<20), "MiB/package")
}
