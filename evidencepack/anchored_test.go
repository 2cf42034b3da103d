package evidencepack_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jurichain/jurichain/anchor/anchortest"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/evidencepack"
)

// anchoredSource serves platform deposits, each with the receipt of its
// own entry and a composed receipt, and no original.
type anchoredSource struct {
	m     *anchortest.Material
	items []*evidencepack.Item
}

func (s *anchoredSource) Items(context.Context) ([]string, error) {
	var ids []string
	for _, it := range s.items {
		ids = append(ids, it.Deposit)
	}
	return ids, nil
}

func (s *anchoredSource) Item(_ context.Context, id string) (*evidencepack.Item, error) {
	for _, it := range s.items {
		if it.Deposit == id {
			return it, nil
		}
	}
	return nil, fmt.Errorf("no item %s", id)
}

func (s *anchoredSource) Original(context.Context, string) (string, io.ReadCloser, error) {
	return "", nil, evidencepack.ErrNoOriginal
}

func (s *anchoredSource) Policies(context.Context) ([]evidencepack.PolicyVersion, error) {
	return []evidencepack.PolicyVersion{{Current: true, Text: s.m.Platform.PolicyText}, {Current: true, Text: s.m.Court.PolicyText}}, nil
}

// TestComposedReceiptOfAnotherDeposit packs, with no original, a deposit
// made after the anchored checkpoint together with the composed receipt
// of an earlier deposit, under a properly signed manifest: the composed
// receipt verifies on its own, but it is not this item's.
func TestComposedReceiptOfAnotherDeposit(t *testing.T) {
	for _, cs := range suites {
		t.Run(cs.Name(), func(t *testing.T) {
			m := anchortest.New(t, cs, cs, 1)
			later := m.Platform.Deposit(m.Depositor, []byte("a work after the anchor"), "w5")
			if later != 5 || m.AnchoredSize != 5 || m.Index != 1 {
				t.Fatalf("deposit #%d, anchored size %d, composed receipt of #%d", later, m.AnchoredSize, m.Index)
			}
			item := func(index uint64, composed []byte) *evidencepack.Item {
				rc := m.Platform.Receipt(index, m.Platform.Size())
				leaf, err := deposit.ParseLeaf(rc.Leaf)
				if err != nil {
					t.Fatal(err)
				}
				return &evidencepack.Item{Deposit: leaf.ID(cs), Receipt: rc.Format(), Composed: composed}
			}
			composed := m.Composed.Format()
			for _, tc := range []struct {
				name  string
				item  *evidencepack.Item
				check string
			}{
				{"its own", item(m.Index, composed), ""},
				{"of another deposit", item(later, composed), evidencepack.CheckComposed},
			} {
				t.Run(tc.name, func(t *testing.T) {
					src := &anchoredSource{m: m, items: []*evidencepack.Item{tc.item}}
					var b bytes.Buffer
					h := evidencepack.Header{Network: anchortest.PlatformOrigin, Institution: "platform", Court: "court", Case: "c1", Created: time.Unix(1_790_000_100, 0)}
					if err := evidencepack.Build(context.Background(), &b, h, src, m.Platform.LogSigner(0)); err != nil {
						t.Fatal(err)
					}
					rep := verify(t, b.Bytes(), evidencepack.Options{})
					if len(rep.Problems) != 0 || len(rep.Items) != 1 {
						t.Fatalf("report: %+v", rep)
					}
					it := rep.Items[0]
					if tc.check == "" {
						if !rep.OK || it.Anchored != anchortest.CourtOrigin+" #"+strconv.FormatUint(m.Number, 10) {
							t.Fatalf("item: %+v", it)
						}
						return
					}
					if rep.OK || it.Verdict != evidencepack.Failed || it.Check != tc.check || it.Anchored != "" || !strings.Contains(it.Reason, "items/1/anchored.tlog-proof") || !strings.Contains(it.Reason, "another deposit") {
						t.Fatalf("item: %+v", it)
					}
				})
			}
		})
	}
}
