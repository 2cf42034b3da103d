package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jurichain/jurichain/api"
	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/identity"
	jnode "github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/suite"
)

// signedDeposit builds a correctly signed deposit request for any
// metadata, as a client that skips the checks of client.Prepare would.
func signedDeposit(t testing.TB, origin string, key suite.PrivateKey, content, idem string, m deposit.Metadata) api.Deposit {
	t.Helper()
	cs := testSuite
	sum := digestOf([]byte(content))
	salt := make([]byte, deposit.SaltSize)
	rand.Read(salt)
	op := &deposit.Opening{Metadata: m, Salt: salt}
	s := &deposit.Signed{Statement: deposit.Statement{
		Digests: []deposit.Digest{contentDigest(sum[:])}, Size: uint64(len(content)),
		MetadataCommitment: op.Commitment(cs), Depositor: key.Public(), IdempotencyKey: idem,
	}}
	sig, err := key.Sign(s.SigningMessage(origin))
	if err != nil {
		t.Fatal(err)
	}
	s.Signature = sig
	return api.NewDeposit(s, op)
}

// TestUserTextIsRefusedAtIntake sends the two attacks of forged terminal
// output, and others like them, to a node: a correctly signed deposit
// whose title moves the cursor up to overwrite the certified time that
// `verify` prints under VERIFIED, and a registration whose name rewrites
// its row of the reviewer's `account list`; and control or bidirectional
// characters in case references, devices, case numbers of grants, token
// labels and the reasons of identity operations. Each is refused with a
// 400 naming the field and the character, and the log does not move.
func TestUserTextIsRefusedAtIntake(t *testing.T) {
	n := initNode(t)
	n.start()
	ctx := context.Background()
	key, c := n.newDepositor()
	_, reviewer := n.staff(identity.Reviewer)
	st := n.status()
	forgedTitle := "photo\x1b[4A\x1b[2K  certified time: 2020-01-01T00:00:00Z (block 1)"
	good := signedDeposit(t, st.Origin, key, "good content", "good-1", deposit.Metadata{Title: "现场照片", MediaType: "image/jpeg"})
	res, err := c.Submit(ctx, []api.Deposit{good}, 10*time.Second)
	if err != nil || res[0].Status != api.StatusCommitted {
		t.Fatalf("a deposit with a Chinese title: %+v %v", res, err)
	}
	st = n.status()

	inv, err := reviewer.Invite(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	regKey, _ := testSuite.Signature().GenerateKey(rand.Reader)
	rn := identity.RealName{Name: "Mallory\x1b[2K\x1b[1Gacct-0000000000000000000 depositor individual approved", IDType: "passport", IDNumber: "E1"}
	salt := bytes.Repeat([]byte{9}, 16)
	commitment, _ := identity.Commit(testSuite, salt, rn.Canonical())
	regOp := identity.NewRegistration(testSuite, st.Origin, st.Institution, identity.Depositor, identity.Individual, regKey.Public(), commitment)
	self, _ := identity.NewSigner(regOp.Account, regKey, testSuite.Signature().Name())
	regNote, err := regOp.Sign(self)
	if err != nil {
		t.Fatal(err)
	}
	nodeSigner, err := jnode.Home(n.home).LogSigner(st.Origin)
	if err != nil {
		t.Fatal(err)
	}
	account := identity.AccountID(testSuite, st.Institution, key.Public())
	reasonNote, err := note.Sign(&note.Note{Text: fmt.Sprintf("jurichain identity operation\nnetwork %s\naccount %s version 2\nsuspend court order\u202e\n", st.Origin, account)}, nodeSigner)
	if err != nil {
		t.Fatal(err)
	}

	deposits := func(ds ...api.Deposit) string { return mustJSON(api.SubmitRequest{Deposits: ds}) }
	with := func(idem string, m deposit.Metadata) api.Deposit {
		if m.MediaType == "" {
			m.MediaType = "image/jpeg"
		}
		return signedDeposit(t, st.Origin, key, "content "+idem, idem, m)
	}
	for _, tc := range []struct {
		name, method, path, body string
		want                     string
	}{
		{"forged line in a title", "POST", "/v1/deposits", mustJSON(with("t1", deposit.Metadata{Title: forgedTitle})),
			"title: contains a control character (U+001B) at byte 5"},
		{"forged line in a batch", "POST", "/v1/deposits", deposits(with("t2", deposit.Metadata{Title: "ok"}), with("t3", deposit.Metadata{Title: forgedTitle})),
			"deposits[1].title: contains a control character (U+001B) at byte 5"},
		{"reversed file name", "POST", "/v1/deposits", mustJSON(with("t4", deposit.Metadata{Title: "invoice\u202efdp.exe"})),
			"title: contains a bidirectional formatting character (U+202E) at byte 7"},
		{"C1 in a case reference", "POST", "/v1/deposits", mustJSON(with("t5", deposit.Metadata{Title: "t", CaseRef: "(2026)\u009b2J"})),
			"case_ref: contains a control character (U+009B) at byte 6"},
		{"isolate in a device", "POST", "/v1/deposits", mustJSON(with("t6", deposit.Metadata{Title: "t", Capture: &deposit.Capture{Device: "phone\u2066"}})),
			"capture.device: contains a bidirectional formatting character (U+2066) at byte 5"},
		{"name rewriting its row", "POST", "/v1/registrations", mustJSON(api.RegistrationRequest{Invitation: inv.Code, RealName: rn, Salt: salt, Note: string(regNote)}),
			"real_name.name: contains a control character (U+001B) at byte 7"},
		{"case number of a grant", "POST", "/v1/deposits/" + res[0].ID + "/grants", mustJSON(api.GrantRequest{Court: st.Institution, Case: "(2026)1号\x1b[2J"}),
			"case: contains a control character (U+001B) at byte 10"},
		{"token label", "POST", "/v1/tokens", `{"label":"ci\u202e"}`,
			"label: contains a bidirectional formatting character (U+202E) at byte 2"},
		{"reason of a suspension", "POST", "/v1/identity", mustJSON(api.SignedNote{Note: string(reasonNote)}),
			"reason: contains a bidirectional formatting character (U+202E) at byte 11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e api.Error
			if status := doAs(t, c, tc.method, tc.path, tc.body, &e); status != 400 || e.Code != api.CodeInvalid || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("got %d %+v, want 400 %s saying %q", status, e, api.CodeInvalid, tc.want)
			}
		})
	}
	time.Sleep(500 * time.Millisecond) // let anything wrongly accepted commit
	if after := n.status(); after.TreeSize != st.TreeSize {
		t.Fatalf("refused input changed the log: size %d -> %d", st.TreeSize, after.TreeSize)
	}
	if acc, err := c.Account(ctx); err != nil || acc.Status != identity.Approved || acc.Version != 2 {
		t.Fatalf("the depositor after a refused suspension: %+v %v", acc, err)
	}
	accs, err := reviewer.Accounts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accs {
		if a.ID == regOp.Account {
			t.Fatalf("a refused registration made an account: %+v", a)
		}
	}
}
