package anchor_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jurichain/jurichain/anchor"
)

func TestAddCheckpointRoundTrip(t *testing.T) {
	proof := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}
	cp := []byte("example.org/log\n5\nAAAA\n\n— example.org/log sig\n")
	body := anchor.FormatAddCheckpoint(4, proof, cp)
	old, gotProof, gotCP, err := anchor.ParseAddCheckpoint(body, 32)
	if err != nil {
		t.Fatal(err)
	}
	if old != 4 || len(gotProof) != 2 || !bytes.Equal(gotProof[1], proof[1]) || !bytes.Equal(gotCP, cp) {
		t.Fatalf("round trip: old %d, proof %x, checkpoint %q", old, gotProof, gotCP)
	}
}

func TestAddCheckpointRefusesBadBodies(t *testing.T) {
	h := strings.Repeat("A", 43) + "="
	for name, body := range map[string]string{
		"no empty line":  "old 1\n" + h + "\n",
		"old not number": "old x\n\ncp\n",
		"old with sign":  "old +1\n\ncp\n",
		"old leading 0":  "old 01\n\ncp\n",
		"short hash":     "old 1\nAAAA\n\ncp\n",
		"no checkpoint":  "old 1\n\n",
		"64 proof lines": "old 1\n" + strings.Repeat(h+"\n", 64) + "\ncp\n",
		"oversized":      "old 1\n\n" + strings.Repeat("x", anchor.MaxAddCheckpoint),
	} {
		if _, _, _, err := anchor.ParseAddCheckpoint([]byte(body), 32); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLogChangeRefusesBadText(t *testing.T) {
	for name, text := range map[string]string{
		"header":         "jurichain membership change\nnetwork a\nversion 0\nretire b\n",
		"no newline":     "jurichain outside log\nnetwork a\nversion 0\nretire b",
		"version":        "jurichain outside log\nnetwork a\nversion 01\nretire b\n",
		"kind":           "jurichain outside log\nnetwork a\nversion 0\nremove b\n",
		"bad base64":     "jurichain outside log\nnetwork a\nversion 0\nregister !!\n",
		"not a policy":   "jurichain outside log\nnetwork a\nversion 0\nregister aGVsbG8=\n",
		"self":           "jurichain outside log\nnetwork a\nversion 0\nretire a\n",
		"retire nothing": "jurichain outside log\nnetwork a\nversion 0\nretire \n",
	} {
		if _, err := anchor.ParseLogChange(text); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c := &anchor.LogChange{Origin: "court", Version: 3, Kind: anchor.ChangeRetire, Log: "platform"}
	text, err := c.Text()
	if err != nil {
		t.Fatal(err)
	}
	got, err := anchor.ParseLogChange(text)
	if err != nil || got.Origin != c.Origin || got.Version != c.Version || got.Kind != c.Kind || got.Log != c.Log {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if !anchor.IsLogChange(text) {
		t.Fatal("IsLogChange: false for a log change")
	}
}
