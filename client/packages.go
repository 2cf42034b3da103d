package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/jurichain/jurichain/api"
)

// Package asks the node for the evidence package (ZIP) of a court case,
// streamed: POST /v1/packages. The caller closes the reader.
func (c *Client) Package(ctx context.Context, court, caseNo string) (io.ReadCloser, error) {
	body, err := json.Marshal(api.PackageRequest{Court: court, Case: caseNo})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.servers[0]+"/v1/packages", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.auth != nil {
		if err := c.auth.Authorize(req, body); err != nil {
			return nil, err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST /v1/packages: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, responseError(resp, data)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/zip" {
		resp.Body.Close()
		return nil, fmt.Errorf("POST /v1/packages: the node answered %q, not a ZIP", ct)
	}
	return resp.Body, nil
}
