package certificate

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// FinalCheckpoint is a final checkpoint and a channel closed when a later
// block commits.
type FinalCheckpoint struct {
	Size       uint64
	Checkpoint []byte
	Next       <-chan struct{}
}

// TokenStore keeps one RFC 3161 token per final checkpoint; the first one
// kept for a size stays, and is returned.
type TokenStore interface {
	PutCheckpointToken(ctx context.Context, size uint64, token []byte) ([]byte, error)
}

// StampCheckpoints gives every final checkpoint a token from the
// institution's time-stamping authority, as each commits, until ctx ends.
// A checkpoint that commits while the previous one is being stamped is
// still stamped: checkpoints that were final in between are skipped (a
// certificate uses the first stamped checkpoint that covers its deposit).
// A failure is logged and retried at the next block or after a second.
func (is *Issuer) StampCheckpoints(ctx context.Context, latest func() FinalCheckpoint, store TokenStore, logger *slog.Logger) {
	var stamped uint64
	for {
		cp := latest()
		if cp.Checkpoint != nil && cp.Size > stamped {
			if _, err := is.StampAndKeep(ctx, cp.Size, cp.Checkpoint, store); err != nil {
				logger.Error("time-stamping a checkpoint", "size", cp.Size, "err", err)
			} else {
				stamped = cp.Size
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-cp.Next:
		case <-time.After(time.Second):
		}
	}
}

// StampAndKeep stamps a final checkpoint and keeps the token, returning
// the token kept for that size (an earlier one if there was).
func (is *Issuer) StampAndKeep(ctx context.Context, size uint64, checkpoint []byte, store TokenStore) ([]byte, error) {
	tok, err := is.StampCheckpoint(checkpoint)
	if err != nil {
		return nil, err
	}
	kept, err := store.PutCheckpointToken(ctx, size, tok)
	if err != nil {
		return nil, fmt.Errorf("keeping the time-stamp of checkpoint %d: %w", size, err)
	}
	return kept, nil
}
