// Package openapidoc completes the OpenAPI document that protoc-gen-openapiv2 writes with what
// the edge adds to every route, taken from the routes' policies: the security requirement,
// the real success status, and the error responses of API.md; plus the edge's own paths
// (health, readiness, the document itself).
package openapidoc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/storefront/storefront/gateway/internal/policy"
	apiv1 "github.com/storefront/storefront/proto/storefront/api/v1"
)

const errorRef = "#/definitions/v1ErrorResponse"

// Enrich returns doc (Swagger 2.0 JSON) completed from the policy table. Its output is
// deterministic: the same input gives the same bytes.
func Enrich(doc []byte, table *policy.Table) ([]byte, error) {
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("openapidoc: parse: %w", err)
	}
	paths, _ := d["paths"].(map[string]any)
	if paths == nil {
		paths = map[string]any{}
		d["paths"] = paths
	}
	for _, r := range table.Routes() {
		item, _ := paths[r.Path].(map[string]any)
		op, _ := item[strings.ToLower(r.Verb)].(map[string]any)
		if op == nil {
			return nil, fmt.Errorf("openapidoc: %s %s (%s) is not in the generated document", r.Verb, r.Path, r.Method)
		}
		completeOperation(op, r)
	}
	addEdgePaths(paths)
	dropUnusedTags(d, paths)
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func completeOperation(op map[string]any, r policy.Route) {
	responses, _ := op["responses"].(map[string]any)
	if responses == nil {
		responses = map[string]any{}
		op["responses"] = responses
	}
	if r.Status != http.StatusOK {
		if ok, found := responses["200"]; found {
			delete(responses, "200")
			if r.Status == http.StatusNoContent {
				ok = map[string]any{"description": "No content."}
			}
			responses[strconv.Itoa(r.Status)] = ok
		}
	}
	errs := map[int]string{
		http.StatusBadRequest:          "invalid_argument: malformed or invalid input; each bad field is in details.",
		http.StatusTooManyRequests:     "resource_exhausted: rate limited; Retry-After says when to try again.",
		http.StatusInternalServerError: "internal: an internal error; the message never carries internals.",
		http.StatusServiceUnavailable:  "unavailable: a service is unreachable; try again.",
	}
	if r.Access != apiv1.Access_ACCESS_PUBLIC || r.Rate == apiv1.RateClass_RATE_CLASS_AUTH {
		errs[http.StatusUnauthorized] = "unauthenticated: no, invalid, expired or revoked token, or wrong credentials."
	}
	if r.Access == apiv1.Access_ACCESS_ADMIN {
		errs[http.StatusForbidden] = "permission_denied: signed in, but not an admin."
	}
	if strings.Contains(r.Path, "{") || r.Access != apiv1.Access_ACCESS_PUBLIC {
		errs[http.StatusNotFound] = "not_found: no such resource (also another user's)."
	}
	if r.Verb != http.MethodGet {
		errs[http.StatusConflict] = "already_exists, failed_precondition or aborted: a uniqueness clash, an illegal state transition, or a concurrent change to retry."
	}
	for code, desc := range errs {
		key := strconv.Itoa(code)
		if _, set := responses[key]; !set || code == http.StatusTooManyRequests || code == http.StatusInternalServerError {
			responses[key] = map[string]any{"description": desc, "schema": map[string]any{"$ref": errorRef}}
		}
	}
	if r.Access != apiv1.Access_ACCESS_PUBLIC {
		op["security"] = []any{map[string]any{"bearer": []any{}}}
	} else {
		op["security"] = []any{}
	}
	op["x-storefront-access"] = strings.ToLower(strings.TrimPrefix(r.Access.String(), "ACCESS_"))
	if r.Rate == apiv1.RateClass_RATE_CLASS_AUTH {
		op["x-storefront-rate-limit"] = "auth"
	} else {
		op["x-storefront-rate-limit"] = "api"
	}
}

func addEdgePaths(paths map[string]any) {
	plain := func(summary string, ok map[string]any, more map[string]any) map[string]any {
		responses := map[string]any{"200": ok}
		for k, v := range more {
			responses[k] = v
		}
		return map[string]any{"get": map[string]any{"summary": summary, "tags": []any{"Edge"}, "security": []any{}, "responses": responses}}
	}
	status := map[string]any{"description": "OK", "schema": map[string]any{"type": "object"}}
	paths["/healthz"] = plain("Liveness: the edge is serving.", status, nil)
	paths["/readyz"] = plain("Readiness: every backend and Redis answer.", status, map[string]any{
		"503": map[string]any{"description": "unavailable: the failing dependencies are named in details.", "schema": map[string]any{"$ref": errorRef}},
	})
	paths["/api/v1/openapi.json"] = plain("This document.", map[string]any{"description": "The OpenAPI (Swagger 2.0) document."}, nil)
}

// dropUnusedTags removes the tags of services without a REST route (internal ones, such as
// payments): the document describes what clients can call, nothing of the fleet's insides.
func dropUnusedTags(d map[string]any, paths map[string]any) {
	used := map[string]bool{}
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, op := range ops {
			o, _ := op.(map[string]any)
			tags, _ := o["tags"].([]any)
			for _, t := range tags {
				if s, ok := t.(string); ok {
					used[s] = true
				}
			}
		}
	}
	tags, _ := d["tags"].([]any)
	kept := []any{}
	for _, t := range tags {
		m, _ := t.(map[string]any)
		if name, _ := m["name"].(string); used[name] {
			kept = append(kept, t)
		}
	}
	if tags != nil {
		d["tags"] = kept
	}
}
