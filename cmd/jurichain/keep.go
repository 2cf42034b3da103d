package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"github.com/jurichain/jurichain/deposit"
	"github.com/jurichain/jurichain/node"
	"github.com/jurichain/jurichain/policy"
	"github.com/jurichain/jurichain/receipt"
	"github.com/jurichain/jurichain/suite"
)

// receiptPolicy finds the trust policy that receipts from the node are
// checked against: --policy FILE, else the policy of the node home given
// with --home, else that of the default node home in the current directory
// when it is of the node's network, else the one the node itself serves.
// Only the first three are independent of what the node answers; for the
// last, a note on w says so.
func receiptPolicy(ctx context.Context, s *session, file, home string, w io.Writer) (*policy.Policy, error) {
	source := file
	var text []byte
	var err error
	if file == "" && home == "" {
		local := node.Home(defaultHome).PolicyFile()
		if b, err := os.ReadFile(local); err == nil {
			if pol, err := policy.Parse(b); err == nil && pol.Origin() == s.status.Origin {
				return pol, nil
			}
		}
	}
	switch {
	case file != "":
		text, err = os.ReadFile(file)
	case home != "":
		source = node.Home(home).PolicyFile()
		text, err = os.ReadFile(source)
	default:
		source = "the policy served by the node"
		text, err = s.Policy(ctx, 0)
		if err == nil {
			fmt.Fprintf(w, "note: receipts are checked against the policy the node itself serves, so they prove only that the node is consistent; for an independent check pass --policy FILE (a copy of the network's policy you keep)\n")
		}
	}
	if err != nil {
		return nil, withHint(fmt.Errorf("reading the trust policy (%s): %w", source, err), "name the network's policy file with --policy")
	}
	pol, err := policy.Parse(text)
	if err != nil {
		return nil, withHint(fmt.Errorf("%s: %w", source, err), "the policy must be a C2SP tlog-policy file as served at /policy")
	}
	if pol.Origin() != s.status.Origin {
		return nil, withHint(fmt.Errorf("the policy %s is for the network %q, but the node runs %q", source, pol.Origin(), s.status.Origin),
			"pass the policy of the network you deposit on, or name a node of that network with --server")
	}
	return pol, nil
}

// checkReceipt parses a receipt a node sent and checks it before it is
// kept: its checkpoint against the policy, the inclusion of its leaf, the
// depositor's signature, the content digest and metadata opening, and that
// the leaf carries exactly the statement that was signed, want. The error
// names the check that failed.
func checkReceipt(pol *policy.Policy, text []byte, want *deposit.Signed, op *deposit.Opening) (*receipt.Proven, error) {
	rc, err := receipt.Parse(text)
	if err != nil {
		return nil, err
	}
	p, err := receipt.Verify(pol, rc, receipt.Evidence{Digests: want.Digests, Opening: op})
	if err != nil {
		return nil, err
	}
	// The statement, not the signature: an SM2 signature is randomised,
	// so depositing the same statement again signs it differently and the
	// log keeps the first signature.
	if !bytes.Equal(p.Leaf.Statement.AppendBinary(nil), want.Statement.AppendBinary(nil)) {
		return nil, &receipt.CheckError{Check: receipt.CheckEntry, Err: errors.New("the leaf is not the statement this command signed")}
	}
	return p, nil
}

// kept says where the evidence of one deposit was written.
type kept struct {
	// Receipt and Meta are the files' paths.
	Receipt, Meta string
	// Renamed is set when base's own files hold another deposit, so these
	// were written under a new name beside them.
	Renamed bool
	// Existed is set when the files were already there for this deposit,
	// from an earlier run, and were left as they are.
	Existed bool
}

// keepEvidence writes a deposit's receipt and metadata opening as
// base.tlog-proof and base.meta.json, never over the evidence of another
// deposit: when either file exists for another deposit, it tries
// base.2, base.3 and so on. Files already holding this deposit (a re-run)
// are left as they are.
func keepEvidence(cs *suite.Suite, base, id string, proof, meta []byte) (kept, error) {
	for n := 1; n <= 1000; n++ {
		b := base
		if n > 1 {
			b = base + "." + strconv.Itoa(n)
		}
		k := kept{Receipt: b + receipt.FileExtension, Meta: b + metaExtension, Renamed: n > 1}
		rState, err := fileState(k.Receipt, func(old []byte) bool { return receiptOf(cs, old) == id })
		if err != nil {
			return kept{}, err
		}
		mState, err := fileState(k.Meta, func(old []byte) bool { return bytes.Equal(old, meta) })
		if err != nil {
			return kept{}, err
		}
		if rState == heldByOther || mState == heldByOther {
			continue
		}
		if rState == heldBySame && mState == heldBySame {
			k.Existed = true
			return k, nil
		}
		if rState == absent {
			if err := writeNew(k.Receipt, proof, 0o644); errors.Is(err, fs.ErrExist) {
				continue // another process took the name meanwhile
			} else if err != nil {
				return kept{}, fmt.Errorf("writing receipt: %w", err)
			}
		}
		if mState == absent {
			if err := writeNew(k.Meta, meta, 0o600); errors.Is(err, fs.ErrExist) {
				continue
			} else if err != nil {
				return kept{}, fmt.Errorf("writing metadata opening: %w", err)
			}
		}
		return k, nil
	}
	return kept{}, fmt.Errorf("%s: a thousand receipts of other deposits are beside it already", base)
}

type state int

const (
	absent state = iota
	heldBySame
	heldByOther
)

// fileState says whether name is absent, holds what same accepts, or
// holds something else.
func fileState(name string, same func([]byte) bool) (state, error) {
	b, err := os.ReadFile(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return absent, nil
	case err != nil:
		return 0, err
	case same(b):
		return heldBySame, nil
	default:
		return heldByOther, nil
	}
}

// receiptOf returns the deposit id of a receipt file's leaf, or "" when
// it is not a receipt.
func receiptOf(cs *suite.Suite, b []byte) string {
	rc, err := receipt.Parse(b)
	if err != nil {
		return ""
	}
	l, err := deposit.ParseLeaf(rc.Leaf)
	if err != nil {
		return ""
	}
	return l.ID(cs)
}

// writeNew creates name with data, failing with fs.ErrExist when it
// exists: evidence is never overwritten.
func writeNew(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}
