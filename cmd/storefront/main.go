// Command storefront runs the whole fleet on one machine for development: it finds or starts
// PostgreSQL, NATS JetStream, Redis and a Stripe API, starts every service and the gateway as
// separate processes talking over real gRPC and NATS, prints the URLs, and stops everything
// cleanly on Ctrl-C or SIGTERM.
//
//	storefront run [-bin DIR] [-data DIR]
//	storefront clean-data [-data DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := dispatch(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "storefront:", err)
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: storefront run|clean-data [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	bin := fs.String("bin", ".bin", "directory holding the fleet's binaries and stripe-mock")
	data := fs.String("data", ".data", "directory for local state (databases, streams, mails)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("service", "launcher")
	switch args[0] {
	case "run":
		return run(ctx, log, *bin, *data)
	case "clean-data":
		return cleanData(ctx, log, *data)
	default:
		return fmt.Errorf("unknown command %q: want run or clean-data", args[0])
	}
}
