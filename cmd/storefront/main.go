// Command storefront runs the whole fleet on one machine for development: it finds or starts
// PostgreSQL, NATS JetStream, Redis and a Stripe API, starts every service and the gateway as
// separate processes talking over real gRPC and NATS, prints the URLs, and stops everything
// cleanly on Ctrl-C or SIGTERM.
//
//	storefront run [-bin DIR] [-data DIR] [-web DIR]
//	storefront clean-data [-data DIR]
//
// -web names the web storefront's build (web/dist) for the gateway to serve at the site root
// (STOREFRONT_WEB_DIR); without it the gateway serves the API only, unless
// STOREFRONT_WEB_DIR is set.
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
	cmd, o, err := parseArgs(args)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("service", "launcher")
	switch cmd {
	case "run":
		return run(ctx, log, o.bin, o.data, o.web)
	case "clean-data":
		return cleanData(ctx, log, o.data)
	default:
		return fmt.Errorf("unknown command %q: want run or clean-data", cmd)
	}
}

// options are the flags of a command.
type options struct {
	bin, data string
	// web is the web storefront's build for the gateway (STOREFRONT_WEB_DIR); empty: none.
	web string
}

// parseArgs splits the command line into the command and its flags.
func parseArgs(args []string) (string, options, error) {
	if len(args) == 0 {
		return "", options{}, errors.New("usage: storefront run|clean-data [flags]")
	}
	var o options
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", ".bin", "directory holding the fleet's binaries and stripe-mock")
	fs.StringVar(&o.data, "data", ".data", "directory for local state (databases, streams, mails)")
	fs.StringVar(&o.web, "web", "", "directory of the web storefront's build (web/dist) the gateway serves at the site root; empty: STOREFRONT_WEB_DIR, else none")
	if err := fs.Parse(args[1:]); err != nil {
		return "", options{}, err
	}
	return args[0], o, nil
}
