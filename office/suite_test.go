package office

import (
	"context"
	"testing"
	"time"

	"github.com/jurichain/jurichain/suite"
)

// TestCodesAreHashedWithTheSuite checks that an office of each suite
// stores a token under the suite's hash of it (the international one as
// offices always have) and finds it again after reopening, and that the
// token is not found by an office of the other suite over the same
// records.
func TestCodesAreHashedWithTheSuite(t *testing.T) {
	ctx := context.Background()
	for _, cs := range suite.All() {
		t.Run(cs.Name(), func(t *testing.T) {
			dir := t.TempDir()
			o, err := Open(cs, dir)
			if err != nil {
				t.Fatal(err)
			}
			tok, rec, err := o.NewToken(ctx, Token{Account: "acct-1", Label: "scanner", Created: now, Expires: now.Add(time.Hour)}, 10)
			if err != nil {
				t.Fatal(err)
			}
			h := cs.Hash([]byte(tok))
			if rec.ID != idOf(string(h[:])) {
				t.Fatalf("token id %s is not of the %s hash", rec.ID, cs.ContentDigest())
			}
			o.Close()
			for _, other := range suite.All() {
				o, err := Open(other, dir)
				if err != nil {
					t.Fatal(err)
				}
				_, err = o.TokenAt(ctx, tok, now)
				o.Close()
				if (other.Name() == cs.Name()) != (err == nil) {
					t.Errorf("an office of the %s suite looking up the token: %v", other.Name(), err)
				}
			}
		})
	}
}
