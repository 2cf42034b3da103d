// Command jurichain is the Jurichain evidence ledger: one binary that runs
// a validator node (serve), deposits files and verifies receipts offline.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jurichain/jurichain/usertext"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		printError(err)
		var ve *verifyFailed
		if errors.As(err, &ve) {
			os.Exit(1)
		}
		os.Exit(2)
	}
}

// hintError carries a hint: what the user can do about the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error { return &hintError{err: err, hint: hint} }

// apiFlags names, in the node's error messages, the flags that set the
// API's query parameters, so a message tells a command-line user what to
// type.
func apiFlags(msg string) string {
	return strings.NewReplacer("(?case=)", "(--case)", "(?code=)", "(--code)", "(?status=)", "(--status)", "(?wait=)", "(--wait)").Replace(msg)
}

func printError(err error) {
	fmt.Fprintf(os.Stderr, "jurichain: error: %s\n", usertext.EscapeLines(apiFlags(err.Error()))) // messages may quote a node's answer
	var h *hintError
	if errors.As(err, &h) {
		fmt.Fprintf(os.Stderr, "jurichain: hint: %s\n", h.hint)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "jurichain",
		Short:         "Jurichain: a consortium ledger for electronic evidence",
		Long:          "Jurichain deposits the digests of evidence files on a consortium ledger and issues receipts that anyone can verify offline against the network's trust policy.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServe(), newInit(), newJoin(), newTestnet(), newConsortium(), newKeygen(), newDeposit(), newVerify(), newStatus(), newPolicy(), newBench(),
		newStaff(), newInvite(), newRegister(), newAccount(), newToken(), newGrant(), newShare(), newCase(), newFetch(), newTrail(), newCertificate(), newSeal(), newWitness(),
		newReceipt(), newAnchor(), newPackage())
	return root
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, withHint(fmt.Errorf("log level %q: %w", level, err), "use debug, info, warn or error")
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}
