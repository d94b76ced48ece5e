package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testToken is the admin token the fake API accepts unless a test says otherwise.
const testToken = "test-admin-token"

// fakeAPI is an httptest.Server standing in for the REST edge's admin API: routes are
// net/http patterns ("GET /api/v1/admin/projections"); every request is recorded; requests
// without an accepted bearer token get the API's 401 (paths under /api/v1/auth/ excepted).
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server
	mux *http.ServeMux

	mu       sync.Mutex
	tokens   map[string]bool
	requests []recordedRequest
}

type recordedRequest struct {
	method, path, rawPath, query, auth, body string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, mux: http.NewServeMux(), tokens: map[string]bool{testToken: true}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	f.requests = append(f.requests, recordedRequest{
		method: r.Method, path: r.URL.Path, rawPath: r.URL.EscapedPath(), query: r.URL.RawQuery,
		auth: r.Header.Get("Authorization"), body: string(body),
	})
	ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	f.mu.Unlock()
	if !ok && !strings.HasPrefix(r.URL.Path, "/api/v1/auth/") {
		writeJSON(w, http.StatusUnauthorized, `{"error":{"code":"unauthenticated","message":"invalid or expired token","details":[]}}`)
		return
	}
	f.mux.ServeHTTP(w, r)
}

// handle adds a route.
func (f *fakeAPI) handle(pattern string, h http.HandlerFunc) { f.mux.HandleFunc(pattern, h) }

// reply adds a route answering status and body.
func (f *fakeAPI) reply(pattern string, status int, body string) {
	f.handle(pattern, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, status, body) })
}

// acceptToken makes the fake accept (or refuse) a bearer token.
func (f *fakeAPI) acceptToken(token string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = ok
}

func (f *fakeAPI) recorded() []recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedRequest(nil), f.requests...)
}

// requestsTo are the recorded requests with this method and (unescaped) path.
func (f *fakeAPI) requestsTo(method, path string) []recordedRequest {
	var out []recordedRequest
	for _, r := range f.recorded() {
		if r.method == method && r.path == path {
			out = append(out, r)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// invocation is one run of the CLI in a test.
type invocation struct {
	env      map[string]string
	stdin    string
	settings settings
}

// result is what a run of the CLI did.
type result struct {
	code           int
	stdout, stderr string
}

// newInvocation runs against f with the admin token in STOREFRONT_TOKEN, credentials kept
// in a temporary directory, no terminal, and progress lines on every poll.
func (f *fakeAPI) newInvocation() *invocation {
	dir := f.t.TempDir()
	return &invocation{
		env: map[string]string{"STOREFRONT_URL": f.srv.URL, "STOREFRONT_TOKEN": testToken},
		settings: settings{
			isTerminal: func(any) bool { return false },
			credentials: func() (credentialStore, error) {
				return credentialStore{path: filepath.Join(dir, "credentials.json")}, nil
			},
		},
	}
}

func (inv *invocation) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := runWith(ctx, args, strings.NewReader(inv.stdin), &stdout, &stderr,
		func(k string) string { return inv.env[k] }, inv.settings)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// syncBuffer is a bytes.Buffer safe to read while the CLI writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// indented is body as printJSON writes it.
func indented(t *testing.T, body string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(body), "", "  "); err != nil {
		t.Fatalf("fixture is not JSON: %v", err)
	}
	return b.String() + "\n"
}
