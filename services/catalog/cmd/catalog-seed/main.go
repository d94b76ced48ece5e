// Command catalog-seed loads a catalog into a running catalog service through its gRPC
// commands (package demo): the demo catalog, or a generated one of any size for benchmarks.
// Loading is idempotent: what exists already is counted, not created again.
//
//	catalog-seed [-addr host:port] [-n products] [-seed n] [-workers n]
//
//	go run ./services/catalog/cmd/catalog-seed -addr 127.0.0.1:9102             # the demo catalog
//	go run ./services/catalog/cmd/catalog-seed -addr 127.0.0.1:9102 -n 100000   # 100k generated products
//
// -addr defaults to STOREFRONT_CATALOG_ADDR, else 127.0.0.1:9102; under `make run` the
// launcher's "demo catalog loaded" log line names the catalog's address. With -n the demo
// categories are created (when missing) and n generated products of the seed are loaded.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
	"github.com/storefront/storefront/services/catalog/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "catalog-seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	defaultAddr := os.Getenv("STOREFRONT_CATALOG_ADDR")
	if defaultAddr == "" {
		defaultAddr = "127.0.0.1:9102"
	}
	fs := flag.NewFlagSet("catalog-seed", flag.ContinueOnError)
	addr := fs.String("addr", defaultAddr, "gRPC address of the catalog service")
	n := fs.Int("n", 0, "generated products to load; 0 loads the demo catalog")
	seed := fs.Int64("seed", 1, "seed of the generated catalog (same seed, same products)")
	workers := fs.Int("workers", 16, "CreateProduct calls in flight at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 0 || *workers < 1 {
		return fmt.Errorf("-n must be ≥ 0 and -workers ≥ 1")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("service", "catalog-seed")

	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("catalog client for %s: %w", *addr, err)
	}
	defer conn.Close()
	client := catalogv1.NewCatalogServiceClient(conn)

	products := demo.Products()
	if *n > 0 {
		products = demo.Generate(*n, *seed)
	}
	opts := demo.Options{Workers: *workers, Log: log, ProgressEvery: 10000}
	res, err := demo.Load(demo.AdminContext(ctx), client, demo.Categories(), products, opts)
	msg := "catalog loaded"
	if err != nil {
		msg = "catalog load stopped"
	}
	log.Info(msg, "catalog", *addr,
		"categories_created", res.CategoriesCreated, "categories_existing", res.CategoriesExisting,
		"products_created", res.ProductsCreated, "products_existing", res.ProductsExisting,
		"took", res.Took.Round(1e6), "products_per_s", int(float64(res.ProductsCreated+res.ProductsExisting)/res.Took.Seconds()))
	return err
}
