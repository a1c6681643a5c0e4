//go:build linux

// Command modelry-bench is `make bench`: it measures a modelry binary
// against ceilings measured in the same run and prints a table of ratios
// and PASS/MISS against the targets of docs/benchmarks.md. Everything lives
// in package bench; see 'modelry-bench -h' for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelry/modelry/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := bench.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "modelry-bench: %v\n", err)
		os.Exit(1)
	}
}
