package upstream_test

import (
	"encoding/json"
	"testing"

	"github.com/jurichain/jurichain/suite"
	"github.com/jurichain/jurichain/upstream"
)

// FuzzCheck feeds answers to the check of an upstream's anchor: whatever
// the answer, only an anchor of exactly the checkpoint sent passes.
func FuzzCheck(f *testing.F) {
	cs := suite.International()
	p := newNetwork(f, cs, platformOrigin)
	cp := p.grow(f, 2)
	c := &court{t: f, network: newNetwork(f, cs, "court.example/ledger")}
	pc, err := p.pol.Verify(cp)
	if err != nil {
		f.Fatal(err)
	}
	genuine, _ := json.Marshal(c.deposit(pc.Checkpoint, cp))
	f.Add(genuine)
	f.Add([]byte(`{"origin":"platform.example/log","size":2}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		a, err := upstream.Check(c.pol, platformOrigin, cp, answer)
		if err == nil && (a.Checkpoint != string(cp) || a.Size != 2 || a.CourtOrigin != c.origin) {
			t.Fatalf("accepted an anchor of something else: %+v", a)
		}
	})
}
