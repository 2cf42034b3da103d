package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/jurichain/jurichain/api"
)

// UpgradeReceipt asks the node to compose a receipt of its log with the
// anchor of a later checkpoint in an upstream network; the answer is the
// composed file, unverified.
func (c *Client) UpgradeReceipt(ctx context.Context, receipt []byte) ([]byte, error) {
	var b []byte
	return b, c.do(ctx, http.MethodPost, "/v1/receipts/upgrade", http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, receipt, &b)
}

// OutboundAnchors returns how the node anchors into upstream networks
// and up to limit of the anchors it stored, of checkpoints smaller than
// before (0: the newest).
func (c *Client) OutboundAnchors(ctx context.Context, before uint64, limit int) (*api.OutboundAnchors, error) {
	q := url.Values{}
	if before > 0 {
		q.Set("before", fmt.Sprint(before))
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	path := "/v1/anchors/outbound"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out api.OutboundAnchors
	return &out, c.do(ctx, http.MethodGet, path, nil, nil, &out)
}
