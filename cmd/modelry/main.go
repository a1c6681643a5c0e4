// Command modelry is the Modelry server and command line in one binary; see
// 'modelry --help'. Everything lives in internal/cli.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/modelry/modelry/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "modelry: %s\n", strings.Join(strings.Fields(err.Error()), " "))
	if cli.IsUsageError(err) {
		os.Exit(2)
	}
	os.Exit(1)
}
