// Command storefrontctl is the operators' command line for a Storefront fleet: it lists and
// rebuilds projections, reads the contexts' event streams and events, redrives or discards
// dead letters and shows the audit of admin actions, all through the REST API's admin
// endpoints (/api/v1/admin/...) with an admin's token.
//
//	storefrontctl login
//	storefrontctl projections list
//	storefrontctl projections rebuild catalog --wait
//	storefrontctl streams tail product-5b0e... -f
//
// Run `storefrontctl --help` for every command and the exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
