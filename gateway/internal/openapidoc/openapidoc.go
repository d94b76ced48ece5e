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
	if err := multipartUploads(paths); err != nil {
		return nil, err
	}
	addEdgePaths(paths)
	dropUnusedTags(d, paths)
	dropUnusedDefinitions(d)
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

// uploadRoutes are the routes whose body the edge reads as multipart/form-data (its own
// handler, package media) rather than JSON: the form fields replace the generated body.
var uploadRoutes = map[string][]any{
	"/api/v1/products/{product_id}/images": {
		map[string]any{"in": "formData", "name": "file", "type": "file", "required": true,
			"description": "The picture: JPEG, PNG or WebP, at most 10 MiB (checked by decoding it)."},
		map[string]any{"in": "formData", "name": "alt", "type": "string", "description": "Alternative text, up to 300 characters."},
	},
}

func multipartUploads(paths map[string]any) error {
	for path, fields := range uploadRoutes {
		item, _ := paths[path].(map[string]any)
		op, _ := item["post"].(map[string]any)
		if op == nil {
			return fmt.Errorf("openapidoc: upload route POST %s is not in the generated document", path)
		}
		params, _ := op["parameters"].([]any)
		kept := []any{}
		for _, p := range params {
			if m, _ := p.(map[string]any); m["in"] != "body" && m["in"] != "formData" {
				kept = append(kept, p)
			}
		}
		op["parameters"] = append(kept, fields...)
		op["consumes"] = []any{"multipart/form-data"}
	}
	return nil
}

// dropUnusedDefinitions removes the definitions no reference reaches any more (the JSON
// bodies the upload routes replaced).
func dropUnusedDefinitions(d map[string]any) {
	defs, _ := d["definitions"].(map[string]any)
	for {
		b, _ := json.Marshal(map[string]any{"paths": d["paths"], "definitions": defs})
		text := string(b)
		removed := false
		for name := range defs {
			if !strings.Contains(text, `"#/definitions/`+name+`"`) {
				delete(defs, name)
				removed = true
			}
		}
		if !removed {
			return
		}
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
	media := plain("A stored product picture or rendition, cached forever (Cache-Control: public, max-age=31536000, immutable).",
		map[string]any{"description": "The bytes, with their content type.", "schema": map[string]any{"type": "file"}},
		map[string]any{"404": map[string]any{"description": "not_found: no such media.", "schema": map[string]any{"$ref": errorRef}}})
	get := media["get"].(map[string]any)
	get["tags"] = []any{"Media"}
	get["produces"] = []any{"image/jpeg", "image/png", "image/webp"}
	get["parameters"] = []any{map[string]any{"in": "path", "name": "key", "type": "string", "required": true,
		"description": "The media key, e.g. images/<sha256>/w640.webp."}}
	paths["/media/{key}"] = media
	addSessionPaths(paths)
}

// addSessionPaths describes the web storefront's cookie session (gateway/internal/websession).
func addSessionPaths(paths map[string]any) {
	errResp := func(desc string) map[string]any {
		return map[string]any{"description": desc, "schema": map[string]any{"$ref": errorRef}}
	}
	session := map[string]any{"description": "The signed-in user and the session's CSRF token, for X-CSRF-Token.",
		"schema": map[string]any{"type": "object", "required": []any{"user", "csrf_token"}, "properties": map[string]any{
			"user":       map[string]any{"$ref": "#/definitions/v1User"},
			"csrf_token": map[string]any{"type": "string"},
		}}}
	tags := []any{"IdentityService"}
	paths["/api/v1/auth/session"] = map[string]any{
		"post": map[string]any{"summary": "Signs in with a cookie session (sets the HttpOnly sf_session cookie); an auth endpoint for rate limits.",
			"operationId": "WebSession_Create", "tags": tags, "security": []any{},
			"parameters": []any{map[string]any{"in": "body", "name": "body", "required": true, "schema": map[string]any{
				"type": "object", "required": []any{"email", "password"}, "properties": map[string]any{
					"email": map[string]any{"type": "string"}, "password": map[string]any{"type": "string"}}}}},
			"responses": map[string]any{"200": session, "400": errResp("invalid_argument"), "401": errResp("unauthenticated: wrong credentials"),
				"429": errResp("resource_exhausted")}},
		"get": map[string]any{"summary": "The cookie session's user and CSRF token.", "operationId": "WebSession_Get", "tags": tags,
			"security": []any{}, "responses": map[string]any{"200": session, "401": errResp("unauthenticated: no or dead session")}},
		"delete": map[string]any{"summary": "Ends the cookie session (revoked server-side, cookie cleared); needs X-CSRF-Token.",
			"operationId": "WebSession_Delete", "tags": tags, "security": []any{},
			"parameters": []any{map[string]any{"in": "header", "name": "X-CSRF-Token", "type": "string", "required": true}},
			"responses": map[string]any{"204": map[string]any{"description": "Signed out."}, "401": errResp("unauthenticated"),
				"403": errResp("permission_denied: missing or wrong X-CSRF-Token")}},
	}
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
