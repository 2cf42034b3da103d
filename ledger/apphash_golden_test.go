package ledger_test

import (
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/jurichain/jurichain/ledger"
	"github.com/jurichain/jurichain/suite"
)

// goldenNetwork is a network of two international-suite validators whose
// keys come from a fixed seed and whose cosignatures carry a fixed time:
// every run makes the same blocks and the same app hashes.
func goldenNetwork(t *testing.T) *env {
	cs := suite.International()
	r := mrand.NewChaCha8([32]byte{'j', 'u', 'r', 'i'})
	now := func() time.Time { return genesis }
	e := &env{t: t, cs: cs}
	for i := range 2 {
		e.validators = append(e.validators, newValidatorOf(t, cs, fmt.Sprint("validator", i), origin, r, now))
		e.dirs = append(e.dirs, t.TempDir())
	}
	var err error
	if e.pol, err = e.membership().Policy(origin); err != nil {
		t.Fatal(err)
	}
	e.dep = e.validators[0].logKey
	return e
}

// goldenAppHashes are the app hashes of the golden chain, computed before
// outside logs existed: a chain that registers none must keep them.
var goldenAppHashes = []string{
	"44ee810b062fc1fd375e46592835deaf7b981a75ab5f650317940626a823da48",
	"940c9208e2a3a6435a8f480a741b1be72a973a3381985ff057854a6ec774fe05",
	"af1891a2a0c65fc82a98e65c0c6fabda9f2b5b3f74739504a52ff63649118cea",
	"307880d12e77b04af545b509d3caad226331df4481aa09e911b843d3406d98d7",
	"7438e12f2a06df420fd98c4c2c11d3bc302de2be6002e56aa57b49c2c2dab9af",
	"f032a5fc26117378ed2d6aa7eefff423f024039d9ac01c881b99fa6c1015dd4c",
}

func TestAppHashOfAChainWithoutOutsideLogsIsUnchanged(t *testing.T) {
	e := goldenNetwork(t)
	apps := openAll(t, e, nil)
	var got []string
	for h := int64(1); h <= 6; h++ {
		var txs [][]byte
		if h%2 == 1 {
			txs = append(txs, ledger.EncodeDepositTx([][]byte{e.signed(fmt.Sprint("k", h), fmt.Sprint("content ", h))}))
		}
		got = append(got, hex.EncodeToString(consensus(t, apps, e.validators, h, txs...)[0].AppHash))
	}
	if fmt.Sprint(got) != fmt.Sprint(goldenAppHashes) {
		t.Fatalf("app hashes\n%q\nwant\n%q", got, goldenAppHashes)
	}
}
