package office

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// prefixImport keys the court's index of imported evidence packages:
// import id -> Import.
const prefixImport = 'p'

// Import is one evidence package a court imported: its verdict record as
// deposited on the ledger and the id of that deposit.
type Import struct {
	ID      string          `json:"id"`
	Case    string          `json:"case"`
	At      time.Time       `json:"at"`
	Verdict string          `json:"verdict"`
	Entry   string          `json:"entry"`
	Record  json.RawMessage `json:"record"`
}

// PutImport records an import. An import id is new each time; writing
// one that exists is refused, so a record is never replaced.
func (o *Office) PutImport(ctx context.Context, im Import) error {
	if im.ID == "" {
		return errors.New("an import needs an id")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k := key(prefixImport, im.ID)
	if _, err := o.raw(ctx, k); err == nil {
		return fmt.Errorf("import %s is already recorded", im.ID)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return o.put(ctx, k, im)
}

// ImportByID returns one import, or ErrNotFound.
func (o *Office) ImportByID(ctx context.Context, id string) (*Import, error) {
	var im Import
	if err := o.get(ctx, key(prefixImport, id), &im); err != nil {
		return nil, err
	}
	return &im, nil
}

// Imports returns the imports of a case (every import when caseNo is
// empty), newest first.
func (o *Office) Imports(ctx context.Context, caseNo string) ([]Import, error) {
	out := []Import{}
	err := o.scan(ctx, []byte{prefixImport}, func(_, v []byte) error {
		var im Import
		if err := json.Unmarshal(v, &im); err != nil {
			return fmt.Errorf("institution's import record is corrupt: %w", err)
		}
		if caseNo == "" || im.Case == caseNo {
			out = append(out, im)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b Import) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(a.ID, b.ID))
	})
	return out, err
}
