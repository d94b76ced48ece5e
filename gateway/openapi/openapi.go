// Package openapi embeds the OpenAPI document that `make generate` writes from the protos.
package openapi

import _ "embed"

// JSON is the merged OpenAPI (Swagger 2.0) document of every REST path of the edge.
//
//go:embed openapi.json
var JSON []byte
