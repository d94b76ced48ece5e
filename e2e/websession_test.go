package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// sessionCookie returns the sf_session cookie a response set.
func sessionCookie(t *testing.T, r response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "sf_session" {
			return c
		}
	}
	t.Fatalf("no sf_session cookie in %v", r.header.Values("Set-Cookie"))
	return nil
}

// testWebSession signs in with the web storefront's cookie session (API.md, "Web sessions"):
// the cookie alone authenticates reads, state-changing calls need the session's CSRF token,
// logging out revokes the session server-side and clears the cookie, and bad input changes
// nothing.
func testWebSession(t *testing.T, f *fleet) {
	email, _ := register(t, f, "websession")
	assertError(t, f.do(t, "POST", "/api/v1/auth/session", map[string]string{"email": email, "password": "wrong-pass-1"}, ""), 401, "unauthenticated")
	assertError(t, f.do(t, "POST", "/api/v1/auth/session", map[string]string{"email": email, "password": "s3cret-pass", "remember": "me"}, ""),
		400, "invalid_argument")

	r := f.do(t, "POST", "/api/v1/auth/session", map[string]string{"email": email, "password": "s3cret-pass"}, "")
	if r.status != 200 {
		t.Fatalf("POST /auth/session: %d %s", r.status, r.body)
	}
	body := r.json(t)
	csrf, _ := body["csrf_token"].(string)
	user := body["user"].(map[string]any)
	if len(csrf) < 32 || user["email"] != email || user["id"] == "" {
		t.Fatalf("session answer: %s", r.body)
	}
	c := sessionCookie(t, r)
	raw := strings.Join(r.header.Values("Set-Cookie"), "; ")
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || strings.Contains(string(r.body), c.Value) {
		t.Errorf("cookie %q: want HttpOnly, SameSite=Lax, Path=/, not Secure on loopback http, and not in the body", raw)
	}
	cookie := "sf_session=" + c.Value

	// The cookie alone authenticates.
	me := f.do(t, "GET", "/api/v1/users/me", nil, "", "Cookie", cookie)
	if me.status != 200 || me.json(t)["id"] != user["id"] {
		t.Fatalf("GET /users/me with the cookie: %d %s", me.status, me.body)
	}
	if got := f.do(t, "GET", "/api/v1/auth/session", nil, "", "Cookie", cookie); got.status != 200 || got.json(t)["csrf_token"] != csrf ||
		got.json(t)["user"].(map[string]any)["id"] != user["id"] {
		t.Fatalf("GET /auth/session: %d %s", got.status, got.body)
	}

	// State-changing calls need the CSRF token.
	addr := map[string]string{"line1": "1 Cookie Lane", "city": "Springfield", "postal_code": "12345", "country": "US"}
	for _, token := range []string{"", "wrong", csrf + "x"} {
		headers := []string{"Cookie", cookie}
		if token != "" {
			headers = append(headers, "X-CSRF-Token", token)
		}
		assertError(t, f.do(t, "POST", "/api/v1/users/me/addresses", addr, "", headers...), 403, "permission_denied", "X-CSRF-Token")
	}
	if list := f.do(t, "GET", "/api/v1/users/me/addresses", nil, "", "Cookie", cookie).json(t)["items"].([]any); len(list) != 0 {
		t.Fatalf("a refused request changed something: %v", list)
	}
	if r := f.do(t, "POST", "/api/v1/users/me/addresses", addr, "", "Cookie", cookie, "X-CSRF-Token", csrf); r.status != 201 {
		t.Fatalf("POST with the CSRF token: %d %s", r.status, r.body)
	}

	// A dead or forged cookie is no session: anonymous.
	assertError(t, f.do(t, "GET", "/api/v1/users/me", nil, "", "Cookie", "sf_session=forged"), 401, "unauthenticated")
	assertError(t, f.do(t, "GET", "/api/v1/auth/session", nil, "", "Cookie", "sf_session=forged"), 401, "unauthenticated")

	// Logging out needs the CSRF token too, then revokes the session and clears the cookie.
	assertError(t, f.do(t, "DELETE", "/api/v1/auth/session", nil, "", "Cookie", cookie), 403, "permission_denied", "X-CSRF-Token")
	out := f.do(t, "DELETE", "/api/v1/auth/session", nil, "", "Cookie", cookie, "X-CSRF-Token", csrf)
	if out.status != 204 || sessionCookie(t, out).MaxAge >= 0 {
		t.Fatalf("DELETE /auth/session: %d %v", out.status, out.header.Values("Set-Cookie"))
	}
	assertError(t, f.do(t, "GET", "/api/v1/users/me", nil, "", "Cookie", cookie), 401, "unauthenticated")
	assertError(t, f.do(t, "GET", "/api/v1/auth/session", nil, "", "Cookie", cookie), 401, "unauthenticated")
}
