//go:build race

package e2e

// buildFlags builds the binary under test with the race detector when the
// tests themselves run with it, so the node's own goroutines are checked.
var buildFlags = []string{"-race"}
