package main

import "github.com/spf13/cobra"

func newBench() *cobra.Command {
	return &cobra.Command{Use: "bench", Short: "Load-test a node", RunE: func(*cobra.Command, []string) error { return nil }}
}
