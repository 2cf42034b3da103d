package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/jurichain/jurichain/api"
)

// OutsideLogs returns the outside logs registered at the network, with
// the registry's version that a change is proposed for.
func (c *Client) OutsideLogs(ctx context.Context) (*api.AnchoredLogs, error) {
	var out api.AnchoredLogs
	return &out, c.do(ctx, http.MethodGet, "/v1/anchors/logs", nil, nil, &out)
}

// ChangeOutsideLog submits an outside-log change signed by members.
func (c *Client) ChangeOutsideLog(ctx context.Context, signed []byte) error {
	return c.postNote(ctx, "/v1/anchors/logs", signed)
}

// Anchor returns the anchor of an outside log with the smallest anchored
// size not below size, or the latest when size is zero. An anchor whose
// entry is not yet final comes without its receipt.
func (c *Client) Anchor(ctx context.Context, origin string, size uint64) (*api.Anchor, error) {
	path := "/v1/anchors/" + (&url.URL{Path: origin}).EscapedPath()
	if size > 0 {
		path += fmt.Sprintf("?size=%d", size)
	}
	var out api.Anchor
	return &out, c.do(ctx, http.MethodGet, path, nil, nil, &out)
}
