// Package client is the Go client of Jurichain's HTTP API, used by the
// command line and by end-to-end tests. Given several servers it fails
// over to the next when one cannot be reached.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/consortium"
)

// Client talks to one or more Jurichain nodes.
type Client struct {
	servers []string
	http    *http.Client
	auth    Credentials
}

// WithAuth returns a client that authenticates its requests with cred.
func (c *Client) WithAuth(cred Credentials) *Client {
	cc := *c
	cc.auth = cred
	return &cc
}

// New returns a client for the given base URLs, tried in order. Deposits
// are idempotent, so resending one to the next server is safe.
func New(servers []string, hc *http.Client) (*Client, error) {
	if len(servers) == 0 {
		return nil, errors.New("no server given")
	}
	bases := make([]string, len(servers))
	for i, s := range servers {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("server %q is not an http:// or https:// URL", s)
		}
		bases[i] = strings.TrimSuffix(s, "/")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Client{servers: bases, http: hc}, nil
}

// do sends a request to each server in turn until one answers. An API
// error (a JSON {"code","message"} with a 4xx status) is returned as
// *api.Error without trying further servers: they would say the same.
func (c *Client) do(ctx context.Context, method, path string, header http.Header, body []byte, out any) error {
	var errs []error
	for _, srv := range c.servers {
		req, err := http.NewRequestWithContext(ctx, method, srv+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		if body != nil && req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.auth != nil {
			if err := c.auth.Authorize(req, body); err != nil {
				return err
			}
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: %w", srv, err))
			continue
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: reading response: %w", srv, err))
			continue
		}
		if resp.StatusCode >= 300 {
			err := responseError(resp, data)
			var e *api.Error
			if errors.As(err, &e) && resp.StatusCode < 500 {
				return e
			}
			errs = append(errs, fmt.Errorf("%s: %w", srv, err))
			continue
		}
		if raw, ok := out.(*[]byte); ok {
			*raw = data
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: decoding response: %w", srv, err)
		}
		return nil
	}
	return fmt.Errorf("no server answered: %w", errors.Join(errs...))
}

// responseError is the error of an answer with a status of 300 or more:
// the API's JSON error when there is one.
func responseError(resp *http.Response, data []byte) error {
	var e api.Error
	if json.Unmarshal(data, &e) == nil && e.Code != "" {
		return &e
	}
	return fmt.Errorf("HTTP %s", resp.Status)
}

// Status returns the node's status.
func (c *Client) Status(ctx context.Context) (*api.Status, error) {
	var st api.Status
	return &st, c.do(ctx, http.MethodGet, "/v1/status", nil, nil, &st)
}

// Policy returns the network's tlog-policy file in force at a block
// height, or now when height is zero.
func (c *Client) Policy(ctx context.Context, height uint64) ([]byte, error) {
	path := "/policy"
	if height > 0 {
		path += "?height=" + strconv.FormatUint(height, 10)
	}
	var b []byte
	return b, c.do(ctx, http.MethodGet, path, nil, nil, &b)
}

// Membership returns the network's current membership.
func (c *Client) Membership(ctx context.Context) (*consortium.Membership, error) {
	var m consortium.Membership
	return &m, c.do(ctx, http.MethodGet, "/v1/membership", nil, nil, &m)
}

// ChangeMembership submits a membership change signed by members.
func (c *Client) ChangeMembership(ctx context.Context, signed []byte) error {
	return c.postNote(ctx, "/v1/membership", signed)
}

// ReportMisbehaviour submits a member-signed checkpoint that contradicts
// the ledger.
func (c *Client) ReportMisbehaviour(ctx context.Context, signed []byte) error {
	return c.postNote(ctx, "/v1/misbehaviour", signed)
}

func (c *Client) postNote(ctx context.Context, path string, signed []byte) error {
	body, err := json.Marshal(api.SignedNote{Note: string(signed)})
	if err != nil {
		return err
	}
	var resp map[string]string
	return c.do(ctx, http.MethodPost, path, nil, body, &resp)
}

// Misbehaviour returns the misbehaviour the ledger has recorded.
func (c *Client) Misbehaviour(ctx context.Context) ([]api.Misbehaviour, error) {
	var out []api.Misbehaviour
	return out, c.do(ctx, http.MethodGet, "/v1/misbehaviour", nil, nil, &out)
}

// Checkpoint returns the latest signed checkpoint.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	var b []byte
	return b, c.do(ctx, http.MethodGet, "/checkpoint", nil, nil, &b)
}

// Submit sends a batch of deposits; with wait > 0 the server answers once
// they commit or the wait ends.
func (c *Client) Submit(ctx context.Context, deps []api.Deposit, wait time.Duration) ([]api.Result, error) {
	body, err := json.Marshal(api.SubmitRequest{Deposits: deps})
	if err != nil {
		return nil, err
	}
	return c.SubmitRaw(ctx, body, wait)
}

// SubmitRaw sends an already encoded SubmitRequest batch.
func (c *Client) SubmitRaw(ctx context.Context, body []byte, wait time.Duration) ([]api.Result, error) {
	return c.submit(ctx, body, waitQuery(wait))
}

// SubmitForReceipts is Submit asking the node to put each committed
// deposit's receipt in its result, which saves a request per deposit.
// The receipts are as the node sent them: check them before keeping them.
func (c *Client) SubmitForReceipts(ctx context.Context, deps []api.Deposit, wait time.Duration) ([]api.Result, error) {
	body, err := json.Marshal(api.SubmitRequest{Deposits: deps})
	if err != nil {
		return nil, err
	}
	q := "?receipts=true"
	if wait > 0 {
		q += "&wait=" + wait.String()
	}
	return c.submit(ctx, body, q)
}

func (c *Client) submit(ctx context.Context, body []byte, query string) ([]api.Result, error) {
	var resp api.SubmitResponse
	if err := c.do(ctx, http.MethodPost, "/v1/deposits"+query, nil, body, &resp); err != nil {
		return nil, err
	}
	return resp.Results, nil
}

func waitQuery(wait time.Duration) string {
	if wait <= 0 {
		return ""
	}
	return "?wait=" + wait.String()
}

// Deposit returns a deposit by id or number, waiting up to wait for it to
// commit.
func (c *Client) Deposit(ctx context.Context, id string, wait time.Duration) (*api.DepositInfo, error) {
	var info api.DepositInfo
	return &info, c.do(ctx, http.MethodGet, "/v1/deposits/"+url.PathEscape(id)+waitQuery(wait), nil, nil, &info)
}

// WitnessedDeposit returns a committed deposit with its receipt at the
// latest final checkpoint that every outside witness the node asks has
// cosigned; an *api.Error with code not_witnessed until one covers it.
func (c *Client) WitnessedDeposit(ctx context.Context, id string) (*api.DepositInfo, error) {
	var info api.DepositInfo
	return &info, c.do(ctx, http.MethodGet, "/v1/deposits/"+url.PathEscape(id)+"?witnessed=1", nil, nil, &info)
}

// ByContent lists the deposits of the content with this digest (hex),
// following the server's pages to the last. alg is the digest's name, the
// network suite's ContentDigest (sha256 or sm3).
func (c *Client) ByContent(ctx context.Context, alg, digestHex string) ([]api.DepositInfo, error) {
	var out []api.DepositInfo
	after := ""
	for {
		var l api.DepositList
		if err := c.do(ctx, http.MethodGet, "/v1/deposits?"+url.QueryEscape(alg)+"="+url.QueryEscape(digestHex)+after, nil, nil, &l); err != nil {
			return out, err
		}
		out = append(out, l.Deposits...)
		if !l.More || l.Next == nil {
			return out, nil
		}
		after = fmt.Sprintf("&after=%d", *l.Next)
	}
}

// Opening fetches a deposit's metadata opening.
func (c *Client) Opening(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	return b, c.do(ctx, http.MethodGet, "/v1/deposits/"+url.PathEscape(id)+"/opening", nil, nil, &b)
}

// ConsistencyProof returns the proof that the tree of size to extends the
// tree of size from.
func (c *Client) ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error) {
	var p api.Proof
	return p.Hashes, c.do(ctx, http.MethodGet, fmt.Sprintf("/v1/proofs/consistency?from=%d&to=%d", from, to), nil, nil, &p)
}

// Certificate returns the sealed certificate PDF of a committed deposit
// (issued on first request), and its number.
func (c *Client) Certificate(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	return b, c.do(ctx, http.MethodGet, "/v1/deposits/"+url.PathEscape(id)+"/certificate.pdf", nil, nil, &b)
}

// CertificateByNumber asks the institution that issued a certificate what
// it says of it.
func (c *Client) CertificateByNumber(ctx context.Context, number string) (*api.CertificateCheck, error) {
	var out api.CertificateCheck
	return &out, c.do(ctx, http.MethodGet, "/v1/certificates/"+url.PathEscape(number), nil, nil, &out)
}

// CheckCertificate has the node check a certificate PDF.
func (c *Client) CheckCertificate(ctx context.Context, pdf []byte) (*api.CertificateCheck, error) {
	var out api.CertificateCheck
	return &out, c.do(ctx, http.MethodPost, "/v1/certificates/check", http.Header{"Content-Type": {"application/pdf"}}, pdf, &out)
}

// PKI returns the node's institution's certificate authority, its
// endorsement, its credentials and its current revocation list.
func (c *Client) PKI(ctx context.Context) (*api.PKI, error) {
	var out api.PKI
	return &out, c.do(ctx, http.MethodGet, "/v1/pki", nil, nil, &out)
}

// TimeStamp sends an RFC 3161 query (DER) to the node's time-stamping
// authority and returns its reply (DER), granted or not.
func (c *Client) TimeStamp(ctx context.Context, query []byte) ([]byte, error) {
	var b []byte
	return b, c.do(ctx, http.MethodPost, "/v1/tsa", http.Header{"Content-Type": {"application/timestamp-query"}}, query, &b)
}
