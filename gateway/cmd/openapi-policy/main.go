// Command openapi-policy completes the generated OpenAPI document with the edge's policies
// (see package openapidoc). `make generate` runs it after buf generate:
//
//	go run ./gateway/cmd/openapi-policy gateway/openapi/openapi.json
package main

import (
	"fmt"
	"os"

	"github.com/storefront/storefront/gateway/internal/backends"
	"github.com/storefront/storefront/gateway/internal/openapidoc"
	"github.com/storefront/storefront/gateway/internal/policy"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "openapi-policy:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: openapi-policy FILE")
	}
	doc, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	table, err := policy.Load(backends.Services()...)
	if err != nil {
		return err
	}
	out, err := openapidoc.Enrich(doc, table)
	if err != nil {
		return err
	}
	return os.WriteFile(args[0], out, 0o644)
}
