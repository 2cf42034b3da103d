package office

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// keyLayout holds the version of the key layout the records are written
// in. Layout 1 (no version key) joined the parts of a key with NUL bytes,
// which is ambiguous; layout 2 prefixes each part with its length (key).
const (
	keyLayout     = "L"
	layoutVersion = 2
)

// upgrade brings the records to the current key layout. Records without a
// version key are in layout 1: they are rewritten in one batch, with the
// version key, so that a crash leaves either the old records or the new
// ones. A fresh database gets the version key at once.
func (o *Office) upgrade(ctx context.Context) error {
	b, err := o.raw(ctx, []byte(keyLayout))
	switch {
	case err == nil:
		v, err := strconv.Atoi(string(b))
		if err != nil || v > layoutVersion {
			return fmt.Errorf("records in key layout %q, newer than this version of jurichain reads (%d); upgrade jurichain", b, layoutVersion)
		}
		if v == layoutVersion {
			return nil
		}
		return fmt.Errorf("records in unknown key layout %d", v)
	case !errors.Is(err, ErrNotFound):
		return err
	}
	batch := o.db.NewBatch()
	defer batch.Close()
	if err := o.fromLayout1(ctx, batch); err != nil {
		return fmt.Errorf("rewriting the records of an earlier version: %w", err)
	}
	if err := batch.Set([]byte(keyLayout), []byte(strconv.Itoa(layoutVersion)), nil); err != nil {
		return err
	}
	return batch.Commit(pebble.Sync)
}

// layout1Trail is what the migration reads of an access-trail record.
type layout1Trail struct {
	Action  string    `json:"action"`
	Actor   string    `json:"actor"`
	Deposit string    `json:"deposit"`
	At      time.Time `json:"at"`
}

// fromLayout1 adds to b the rewrite of every layout-1 record: it deletes
// each old key and then sets the new ones (after all deletions, so that no
// new key is deleted by an old one that happens to equal it).
//
// Layout 1 kept no upload records: an original was reachable through any
// deposit of its digest. An upload is recorded for each deposit whose
// access trail holds an upload of its original, by the uploader the trail
// names: the trail record was written only once the depositor had streamed
// the whole original and it matched the deposit's digest. Originals of
// deposits without such a record stay unreachable until their depositor
// uploads them again.
//
// Layout-1 tokens and share codes were bound to no key: they are kept, so
// that their owners list and revoke them, but no longer authenticate nor
// open anything (share codes of layout 1 also carried only 40 bits).
func (o *Office) fromLayout1(ctx context.Context, b *pebble.Batch) error {
	type kv struct{ k, v []byte }
	var sets []kv
	set := func(k []byte, v any) error {
		raw, ok := v.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(v); err != nil {
				return err
			}
		}
		sets = append(sets, kv{k, raw})
		return nil
	}
	uploads := map[string]Upload{}
	it, err := o.db.NewIterWithContext(ctx, &pebble.IterOptions{})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		k, v := bytes.Clone(it.Key()), bytes.Clone(it.Value())
		if string(k) == keyTrailSeq {
			continue // unchanged
		}
		rest := string(k[1:])
		var err error
		switch k[0] {
		case prefixInvitation, prefixRegistration:
			err = set(key(k[0], rest), v)
		case prefixToken:
			var t Token
			if err = json.Unmarshal(v, &t); err == nil {
				t.ID = idOf(rest)
				err = errors.Join(set(key(prefixToken, rest), t), set(key(prefixTokenID, t.ID), []byte(rest)),
					set(key(prefixAccountToken, t.Account, t.ID), []byte{}))
			}
		case prefixShare:
			var s Share
			if err = json.Unmarshal(v, &s); err == nil {
				s.ID = idOf(rest)
				err = errors.Join(set(key(prefixShare, rest), s), set(key(prefixShareID, s.ID), []byte(rest)),
					set(key(prefixDepositShare, s.Deposit, s.ID), []byte{}))
			}
		case prefixGrant:
			// The grant's value names its parts: no need to split a key
			// that NUL bytes in a case number made ambiguous.
			var g Grant
			if err = json.Unmarshal(v, &g); err == nil {
				err = errors.Join(set(key(prefixGrant, g.Deposit, g.Court, g.Case), v),
					set(key(prefixCase, g.Court, g.Case, g.Deposit), []byte{}))
			}
		case prefixCase:
			// Rebuilt from the grants.
		case prefixTrail:
			// Evidence id, NUL, 8-byte sequence number.
			if len(rest) < 9 || rest[len(rest)-9] != 0 {
				err = errors.New("a malformed access-trail key")
				break
			}
			evidence, seq := rest[:len(rest)-9], rest[len(rest)-8:]
			var e TrailEntry
			var rec layout1Trail
			if err = json.Unmarshal(v, &e); err == nil {
				err = json.Unmarshal(e.Record, &rec)
			}
			if err == nil {
				err = set(append(key(prefixTrail, evidence), seq...), v)
			}
			if _, seen := uploads[rec.Deposit]; err == nil && rec.Action == "upload-original" && rec.Deposit == evidence && !seen {
				uploads[rec.Deposit] = Upload{Account: rec.Actor, Uploaded: rec.At}
			}
		default:
			err = errors.New("a record of no known kind")
		}
		if err != nil {
			return fmt.Errorf("record %q: %w", k[:1], err)
		}
		if err := b.Delete(k, nil); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return err
	}
	for d, u := range uploads {
		if err := set(key(prefixUpload, d), u); err != nil {
			return err
		}
	}
	for _, s := range sets {
		if err := b.Set(s.k, s.v, nil); err != nil {
			return err
		}
	}
	return nil
}
