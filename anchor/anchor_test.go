package anchor_test

import (
	"testing"

	"github.com/jurichain/jurichain/anchor"
)

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
