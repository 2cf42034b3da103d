package node

import (
	"testing"

	dbm "github.com/cometbft/cometbft-db"
)

func TestCloseSafeDBReadsNothingAfterClose(t *testing.T) {
	inner, err := dbm.NewDB("blockstore", dbm.GoLevelDBBackend, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db := &closeSafeDB{DB: inner}
	if err := db.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, err := db.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("open store: Get = %q, %v", v, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// The unwrapped store fails, which CometBFT's block store turns into a panic.
	if _, err := inner.Get([]byte("k")); err == nil {
		t.Fatal("the closed goleveldb store answered a read; the wrapper is not needed")
	}
	if v, err := db.Get([]byte("k")); err != nil || v != nil {
		t.Fatalf("closed store: Get = %q, %v; want nothing, no error", v, err)
	}
	if ok, err := db.Has([]byte("k")); err != nil || ok {
		t.Fatalf("closed store: Has = %v, %v", ok, err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
