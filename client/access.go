package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/identity"
	"github.com/jurichain/jurichain/suite"
)

func (c *Client) post(ctx context.Context, method, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do(ctx, method, path, nil, body, out)
}

// Invite issues an invitation code (reviewers and admins).
func (c *Client) Invite(ctx context.Context, validFor string) (*api.Invitation, error) {
	var out api.Invitation
	return &out, c.post(ctx, http.MethodPost, "/v1/invitations", api.InvitationRequest{ValidFor: validFor}, &out)
}

// Register registers a depositor with an invitation code.
func (c *Client) Register(ctx context.Context, req api.RegistrationRequest) (*api.AccountInfo, error) {
	var out api.AccountInfo
	return &out, c.post(ctx, http.MethodPost, "/v1/registrations", req, &out)
}

// Identity submits a signed identity operation and returns the account as
// it stands after it (Applied false if it had not yet taken effect).
func (c *Client) Identity(ctx context.Context, signed []byte) (*api.AccountInfo, error) {
	var out api.AccountInfo
	return &out, c.post(ctx, http.MethodPost, "/v1/identity", api.SignedNote{Note: string(signed)}, &out)
}

// Account returns the caller's own account.
func (c *Client) Account(ctx context.Context) (*api.AccountInfo, error) {
	var out api.AccountInfo
	return &out, c.do(ctx, http.MethodGet, "/v1/account", nil, nil, &out)
}

// Accounts lists the node's institution's accounts, optionally of one
// status (reviewers, admins, auditors).
func (c *Client) Accounts(ctx context.Context, status string) ([]api.AccountInfo, error) {
	var out api.AccountList
	return out.Accounts, c.do(ctx, http.MethodGet, "/v1/accounts?status="+url.QueryEscape(status), nil, nil, &out)
}

// NewToken issues an API token for the caller's account.
func (c *Client) NewToken(ctx context.Context, label, validFor string) (*api.Token, error) {
	var out api.Token
	return &out, c.post(ctx, http.MethodPost, "/v1/tokens", api.TokenRequest{Label: label, ValidFor: validFor}, &out)
}

// Tokens lists the caller's API tokens at the node, without their secrets.
func (c *Client) Tokens(ctx context.Context) ([]api.TokenInfo, error) {
	var out api.TokenList
	return out.Tokens, c.do(ctx, http.MethodGet, "/v1/tokens", nil, nil, &out)
}

// TokensOf lists the API tokens of an account of the caller's institution
// at the node (admins and the node), without their secrets.
func (c *Client) TokensOf(ctx context.Context, account string) ([]api.TokenInfo, error) {
	var out api.TokenList
	return out.Tokens, c.do(ctx, http.MethodGet, "/v1/tokens?"+url.Values{"account": {account}}.Encode(), nil, nil, &out)
}

// RevokeToken revokes an API token by its id (its owner, or an admin of
// the owner's institution).
func (c *Client) RevokeToken(ctx context.Context, id string) (*api.TokenInfo, error) {
	var out api.TokenInfo
	return &out, c.do(ctx, http.MethodDelete, "/v1/tokens/"+url.PathEscape(id), nil, nil, &out)
}

// RevokeShare revokes a share code of a deposit, named by the code's id.
func (c *Client) RevokeShare(ctx context.Context, id, shareID string) error {
	var out map[string]any
	return c.do(ctx, http.MethodDelete, "/v1/deposits/"+url.PathEscape(id)+"/shares/"+url.PathEscape(shareID), nil, nil, &out)
}

// Shares lists a deposit's share codes, without the codes (the depositor,
// and the auditors and admins of the node's institution).
func (c *Client) Shares(ctx context.Context, id string) ([]api.ShareInfo, error) {
	var out api.ShareList
	return out.Shares, c.do(ctx, http.MethodGet, "/v1/deposits/"+url.PathEscape(id)+"/shares", nil, nil, &out)
}

// SharedDeposit returns a committed deposit and its receipt to the holder
// of a share code of it.
func (c *Client) SharedDeposit(ctx context.Context, id, code string) (*api.DepositInfo, error) {
	var info api.DepositInfo
	return &info, c.do(ctx, http.MethodGet, "/v1/deposits/"+url.PathEscape(id)+"?"+url.Values{"code": {code}}.Encode(), nil, nil, &info)
}

// OwnDeposits lists the caller's deposits made through the node.
func (c *Client) OwnDeposits(ctx context.Context) ([]api.Result, error) {
	var out api.OwnDeposits
	return out.Deposits, c.do(ctx, http.MethodGet, "/v1/account/deposits", nil, nil, &out)
}

// Share issues a share code for a deposit's original.
func (c *Client) Share(ctx context.Context, id, validFor string) (*api.Share, error) {
	var out api.Share
	return &out, c.post(ctx, http.MethodPost, "/v1/deposits/"+url.PathEscape(id)+"/shares", api.ShareRequest{ValidFor: validFor}, &out)
}

// Grant grants a deposit to a case at a court.
func (c *Client) Grant(ctx context.Context, id, court, caseNo string) (*api.Grant, error) {
	var out api.Grant
	return &out, c.post(ctx, http.MethodPost, "/v1/deposits/"+url.PathEscape(id)+"/grants", api.GrantRequest{Court: court, Case: caseNo}, &out)
}

// RevokeGrant withdraws a grant.
func (c *Client) RevokeGrant(ctx context.Context, id, court, caseNo string) (*api.Grant, error) {
	var out api.Grant
	q := url.Values{"court": {court}, "case": {caseNo}}
	return &out, c.do(ctx, http.MethodDelete, "/v1/deposits/"+url.PathEscape(id)+"/grants?"+q.Encode(), nil, nil, &out)
}

// Case lists the evidence granted to a case at the caller's court.
func (c *Client) Case(ctx context.Context, court, caseNo string) (*api.CaseEvidence, error) {
	var out api.CaseEvidence
	return &out, c.do(ctx, http.MethodGet, "/v1/cases/"+url.PathEscape(court)+"/"+url.PathEscape(caseNo), nil, nil, &out)
}

// Trail returns the access trail of a deposit.
func (c *Client) Trail(ctx context.Context, id string) (*api.Trail, error) {
	var out api.Trail
	return &out, c.do(ctx, http.MethodGet, "/v1/deposits/"+url.PathEscape(id)+"/trail", nil, nil, &out)
}

// stream sends one request with a streamed body to the first server only:
// a consumed stream cannot be resent elsewhere.
func (c *Client) stream(ctx context.Context, method, path string, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.servers[0]+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if c.auth != nil {
		if err := c.auth.Authorize(req, nil); err != nil {
			return nil, err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, responseError(resp, data)
	}
	return resp, nil
}

// UploadOriginal streams a deposit's original to the node's vault.
func (c *Client) UploadOriginal(ctx context.Context, id string, r io.Reader, size int64) error {
	resp, err := c.stream(ctx, http.MethodPut, "/v1/deposits/"+url.PathEscape(id)+"/original", r, size)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// Original streams a deposit's original from the node. Name the case it
// is granted to (judges and clerks) or a share code, or neither (owner).
// The caller closes the reader.
func (c *Client) Original(ctx context.Context, id, caseNo, code string) (io.ReadCloser, int64, error) {
	q := url.Values{}
	if caseNo != "" {
		q.Set("case", caseNo)
	}
	if code != "" {
		q.Set("code", code)
	}
	path := "/v1/deposits/" + url.PathEscape(id) + "/original"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	resp, err := c.stream(ctx, http.MethodGet, path, nil, 0)
	if err != nil {
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

// Raw sends a request with an optional JSON body and returns the status
// and body as they are, for tests of the API itself.
func (c *Client) Raw(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.servers[0]+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if c.auth != nil {
		if err := c.auth.Authorize(req, body); err != nil {
			return 0, nil, err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// EnrollWait bounds Enroll when its context has no deadline.
const EnrollWait = 2 * time.Minute

// ErrNotApplied is returned when an operation the node accepted did not
// take effect on the ledger in time: the network commits nothing while
// more than a third of the voting power is down.
var ErrNotApplied = errors.New("not applied on the ledger in time")

// Enroll registers key as an approved depositor account in one go, as an
// institution does for a person at its counter: the client, authenticated
// as a reviewer or the node, issues an invitation; the key registers with
// it; approver (the same reviewer's or the node's signer) approves; cs is
// the network's suite. It returns the account id. It waits until ctx
// ends, or EnrollWait when ctx has no deadline, for each step to apply;
// when one does not, the error wraps ErrNotApplied and says which.
func (c *Client) Enroll(ctx context.Context, cs *suite.Suite, origin, institution string, key suite.PrivateKey, kind identity.Kind, rn identity.RealName, approver note.Signer) (string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, EnrollWait)
		defer cancel()
	}
	inv, err := c.Invite(ctx, "1h")
	if err != nil {
		return "", fmt.Errorf("issuing an invitation: %w", err)
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	commitment, err := identity.Commit(cs, salt, rn.Canonical())
	if err != nil {
		return "", err
	}
	op := identity.NewRegistration(cs, origin, institution, identity.Depositor, kind, key.Public(), commitment)
	self, err := identity.NewSigner(op.Account, key, op.Alg)
	if err != nil {
		return "", err
	}
	signed, err := op.Sign(self)
	if err != nil {
		return "", err
	}
	info, err := c.Register(ctx, api.RegistrationRequest{Invitation: inv.Code, RealName: rn, Salt: salt, Note: string(signed)})
	if err != nil && ctx.Err() != nil {
		return "", fmt.Errorf("the registration of account %s was sent but %w: the node had not answered when the wait ended (%w); is more than a third of the network's voting power down? ('jurichain status' shows each validator's latest cosignature)", op.Account, ErrNotApplied, ctx.Err())
	}
	if err != nil {
		return "", fmt.Errorf("registering: %w", err)
	}
	// Approving an account the ledger does not hold yet would be refused
	// as "no account": wait for the registration first.
	if info.Account == nil {
		if _, err := c.awaitAccount(ctx, op.Account, func(*api.AccountInfo) bool { return true }); err != nil {
			return "", fmt.Errorf("the registration of account %s was accepted by the node but %w: %w", op.Account, ErrNotApplied, err)
		}
	}
	approve := &identity.Op{Origin: origin, Account: op.Account, Version: 1, Action: identity.Approve}
	if signed, err = approve.Sign(approver); err != nil {
		return "", err
	}
	if info, err = c.Identity(ctx, signed); err != nil && ctx.Err() != nil {
		return "", fmt.Errorf("the approval of account %s was sent but %w: the node had not answered when the wait ended (%w)", op.Account, ErrNotApplied, ctx.Err())
	} else if err != nil {
		return "", fmt.Errorf("approving: %w", err)
	}
	if info.Account == nil || info.Status != identity.Approved {
		if _, err := c.awaitAccount(ctx, op.Account, func(a *api.AccountInfo) bool { return a.Status == identity.Approved }); err != nil {
			return "", fmt.Errorf("the approval of account %s was accepted by the node but %w: %w", op.Account, ErrNotApplied, err)
		}
	}
	return op.Account, nil
}

// awaitAccount asks for the institution's account id every second until
// done accepts it or ctx ends, and says which when it ends.
func (c *Client) awaitAccount(ctx context.Context, id string, done func(*api.AccountInfo) bool) (*api.AccountInfo, error) {
	start := time.Now()
	for {
		accs, err := c.Accounts(ctx, "")
		if err != nil && ctx.Err() == nil {
			return nil, err
		}
		for i := range accs {
			if accs[i].ID == id && done(&accs[i]) {
				return &accs[i], nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("gave up after %s (is more than a third of the network's voting power down? 'jurichain status' shows each validator's latest cosignature)", time.Since(start).Round(time.Second))
		case <-time.After(time.Second):
		}
	}
}

// ImportPackage streams an evidence package (a ZIP of size bytes whose
// SHA-256 is sum) to a court node, which verifies it under its own
// trusted policies and records the verdict on its ledger. The digest goes
// in the signed query, binding the streamed body to the signature.
func (c *Client) ImportPackage(ctx context.Context, r io.Reader, size int64, sum []byte) (*api.PackageImport, error) {
	resp, err := c.stream(ctx, http.MethodPost, "/v1/packages/import?sha256="+hex.EncodeToString(sum), r, size)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out api.PackageImport
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("the node's answer to the import: %w", err)
	}
	return &out, nil
}

// PackageImports lists the packages imported at the court node, of one
// case when caseNo is not empty.
func (c *Client) PackageImports(ctx context.Context, caseNo string) ([]api.PackageImport, error) {
	path := "/v1/packages/imports"
	if caseNo != "" {
		path += "?case=" + url.QueryEscape(caseNo)
	}
	var out api.PackageImports
	return out.Imports, c.do(ctx, http.MethodGet, path, nil, nil, &out)
}
