package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxResponseBytes bounds what the client reads of one answer.
const maxResponseBytes = 64 << 20

// apiClient calls the REST API under <base>/api/v1. It authenticates with a fixed token
// (--token, STOREFRONT_TOKEN) or with the session `login` stored for the server; a stored
// session whose access token is refused (401) is refreshed once and the call retried.
// Not safe for concurrent use: the CLI makes one call at a time.
type apiClient struct {
	base  string // scheme://host[/prefix], no trailing slash; also the credentials' key
	http  *http.Client
	token string // a fixed token; when "", the stored session is used

	store   credentialStore
	session *session // loaded on first use
}

// parseBaseURL checks the server URL given by --url or STOREFRONT_URL and normalises it into
// the form the credentials are keyed by.
func parseBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", usageErrorf("invalid --url %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", usageErrorf("invalid --url %q: want http(s)://host[:port][/path]", raw)
	}
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// response is a 2xx answer.
type response struct {
	status int
	body   []byte
}

// get calls GET <base>/api/v1<path>?query; path is already escaped.
func (c *apiClient) get(ctx context.Context, path string, query url.Values) (response, error) {
	return c.call(ctx, http.MethodGet, path, query, nil)
}

// post calls POST with body as JSON ({} when nil: the API's bodies are objects).
func (c *apiClient) post(ctx context.Context, path string, body any) (response, error) {
	if body == nil {
		body = struct{}{}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return response{}, fmt.Errorf("encoding the request: %w", err)
	}
	return c.call(ctx, http.MethodPost, path, nil, b)
}

// call makes an authenticated call, refreshing a stored session once on 401.
func (c *apiClient) call(ctx context.Context, method, path string, query url.Values, body []byte) (response, error) {
	token, err := c.accessToken()
	if err != nil {
		return response{}, err
	}
	resp, err := c.send(ctx, method, path, query, body, token)
	var api *apiError
	if errors.As(err, &api) && api.Status == http.StatusUnauthorized && c.token == "" && c.session.RefreshToken != "" {
		if err := c.refresh(ctx); err != nil {
			return response{}, err
		}
		return c.send(ctx, method, path, query, body, c.session.AccessToken)
	}
	return resp, err
}

// accessToken is the token to send: the fixed one, else the stored session's.
func (c *apiClient) accessToken() (string, error) {
	if c.token != "" {
		return c.token, nil
	}
	if c.session == nil {
		sess, ok, err := c.store.get(c.base)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", notLoggedInError{url: c.base}
		}
		c.session = &sess
	}
	return c.session.AccessToken, nil
}

// refresh trades the stored refresh token for a new pair (the old one is then dead: the
// API rotates it) and stores the new one at once.
func (c *apiClient) refresh(ctx context.Context) error {
	b, err := json.Marshal(map[string]string{"refresh_token": c.session.RefreshToken})
	if err != nil {
		return fmt.Errorf("encoding the refresh request: %w", err)
	}
	resp, err := c.send(ctx, http.MethodPost, "/auth/refresh", nil, b, "")
	var api *apiError
	if errors.As(err, &api) && api.Status == http.StatusUnauthorized {
		api.Message = "the stored session has expired or was revoked: run `storefrontctl login`"
		return api
	}
	if err != nil {
		return fmt.Errorf("refreshing the session: %w", err)
	}
	var pair tokenPair
	if err := json.Unmarshal(resp.body, &pair); err != nil || pair.AccessToken == "" {
		return fmt.Errorf("refreshing the session: unexpected answer from %s", c.base)
	}
	c.session.AccessToken = pair.AccessToken
	if pair.RefreshToken != "" {
		c.session.RefreshToken = pair.RefreshToken
	}
	c.session.ExpiresAt = expiresAt(pair.ExpiresIn)
	if err := c.store.put(c.base, *c.session); err != nil {
		return fmt.Errorf("storing the refreshed session: %w", err)
	}
	return nil
}

// expiresAt is when a token that lives for seconds from now expires, in RFC 3339.
func expiresAt(seconds int) string {
	if seconds <= 0 {
		return ""
	}
	return time.Now().Add(time.Duration(seconds) * time.Second).UTC().Format(time.RFC3339)
}

// send makes one HTTP call; a non-2xx answer is an *apiError, no answer an unreachableError.
func (c *apiClient) send(ctx context.Context, method, path string, query url.Values, body []byte, token string) (response, error) {
	target := c.base + "/api/v1" + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return response{}, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "storefrontctl")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return response{}, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // keep the cause; the server is named below
			if uerr.Timeout() && c.http.Timeout > 0 {
				err = fmt.Errorf("no answer within %s: %w", c.http.Timeout, err)
			}
		}
		return response{}, unreachableError{fmt.Errorf("%s %s: %w", method, c.base, err)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	if err != nil {
		if ctx.Err() != nil {
			return response{}, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		return response{}, unreachableError{fmt.Errorf("reading the answer of %s %s: %w", method, path, err)}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return response{}, decodeAPIError(res, b)
	}
	return response{status: res.StatusCode, body: b}, nil
}

// decodeAPIError reads the API's error body ({"error": {code, message, details}}); any
// other body leaves only the status.
func decodeAPIError(res *http.Response, body []byte) *apiError {
	var eb struct {
		Error struct {
			Code    string        `json:"code"`
			Message string        `json:"message"`
			Details []fieldDetail `json:"details"`
		} `json:"error"`
	}
	e := &apiError{Status: res.StatusCode, RetryAfter: res.Header.Get("Retry-After")}
	if json.Unmarshal(body, &eb) == nil {
		e.Code, e.Message, e.Details = eb.Error.Code, eb.Error.Message, eb.Error.Details
	}
	return e
}

// decode unmarshals a 2xx body into v.
func decode(resp response, v any) error {
	if err := json.Unmarshal(resp.body, v); err != nil {
		return fmt.Errorf("unexpected answer from the API: %w", err)
	}
	return nil
}

// pathOf joins escaped path segments: pathOf("admin", "streams", id) → /admin/streams/<id>.
func pathOf(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}
