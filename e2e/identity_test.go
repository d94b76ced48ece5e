package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	adminEmail    = "root@storefront.test"
	adminPassword = "admin-pass-123"
)

// TestIdentity drives every identity endpoint of API.md through the REST edge.
func TestIdentity(t *testing.T) {
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=1000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword)

	t.Run("register", func(t *testing.T) { testRegister(t, f) })
	t.Run("login", func(t *testing.T) { testLogin(t, f) })
	t.Run("me", func(t *testing.T) { testMe(t, f) })
	t.Run("addresses", func(t *testing.T) { testAddresses(t, f) })
	t.Run("refresh rotation and reuse", func(t *testing.T) { testRefresh(t, f) })
	t.Run("logout", func(t *testing.T) { testLogout(t, f) })
	t.Run("password reset", func(t *testing.T) { testPasswordReset(t, f) })
	t.Run("tokens that must be refused", func(t *testing.T) { testBadTokens(t, f) })
	t.Run("web session with cookie and CSRF", func(t *testing.T) { testWebSession(t, f) })
	t.Run("public events reach JetStream, secrets do not", func(t *testing.T) { testIdentityEvents(t, f) })
	t.Run("admin bootstrap", func(t *testing.T) {
		r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
		if r.status != 200 || r.json(t)["user"].(map[string]any)["role"] != "admin" {
			t.Fatalf("admin login: %d %s", r.status, r.body)
		}
	})
}

func email(name string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return name + "-" + hex.EncodeToString(b) + "@example.com"
}

// register makes an account and logs in; it returns the email and the token pair.
func register(t *testing.T, f *fleet, name string) (string, map[string]any) {
	t.Helper()
	e := email(name)
	r := f.do(t, "POST", "/api/v1/auth/register", map[string]string{"email": e, "password": "s3cret-pass", "name": name}, "")
	if r.status != 201 {
		t.Fatalf("register %s: %d %s", e, r.status, r.body)
	}
	r = f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": e, "password": "s3cret-pass"}, "")
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", e, r.status, r.body)
	}
	return e, r.json(t)
}

func assertError(t *testing.T, r response, status int, code string, fields ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	body := r.json(t)
	e, ok := body["error"].(map[string]any)
	if !ok || e["code"] != code || e["message"] == "" {
		t.Fatalf("error body = %s, want code %s", r.body, code)
	}
	details, _ := e["details"].([]any)
	var got []string
	for _, d := range details {
		got = append(got, d.(map[string]any)["field"].(string))
	}
	for _, want := range fields {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Fatalf("details %v lack field %q; body %s", got, want, r.body)
		}
	}
}

func testRegister(t *testing.T, f *fleet) {
	e := email("ada")
	r := f.do(t, "POST", "/api/v1/auth/register", map[string]string{"email": "  " + strings.ToUpper(e) + " ", "password": "analytical-engine-1", "name": "Ada"}, "")
	if r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	user := r.json(t)["user"].(map[string]any)
	if user["email"] != e || user["name"] != "Ada" || user["role"] != "customer" {
		t.Fatalf("user = %v", user)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(user["created_at"].(string)) {
		t.Fatalf("created_at %q is not RFC 3339 UTC", user["created_at"])
	}
	tests := []struct {
		name   string
		body   any
		status int
		code   string
		fields []string
	}{
		{"same email, other case", map[string]string{"email": strings.ToUpper(e), "password": "other-pass-2", "name": "Eve"}, 409, "already_exists", nil},
		{"bad email and password", map[string]string{"email": "not-an-email", "password": "short", "name": "X"}, 400, "invalid_argument", []string{"email", "password"}},
		{"password without digit", map[string]string{"email": email("b"), "password": "no-digits-here", "name": "B"}, 400, "invalid_argument", []string{"password"}},
		{"password holding the email", map[string]string{"email": "lovelace" + e, "password": "lovelace" + e + "1", "name": "L"}, 400, "invalid_argument", []string{"password"}},
		{"empty name", map[string]string{"email": email("c"), "password": "good-pass-1", "name": "  "}, 400, "invalid_argument", []string{"name"}},
		{"unknown field", `{"email":"x@example.com","password":"good-pass-1","name":"X","rol":"admin"}`, 400, "invalid_argument", nil},
		{"malformed json", `{"email":`, 400, "invalid_argument", nil},
		{"a second JSON value", `{"email":"x@example.com","password":"good-pass-1","name":"X"} {"role":"admin"}`, 400, "invalid_argument", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, f.do(t, "POST", "/api/v1/auth/register", tt.body, ""), tt.status, tt.code, tt.fields...)
		})
	}
}

func testLogin(t *testing.T, f *fleet) {
	e, pair := register(t, f, "grace")
	if pair["token_type"] != "Bearer" || pair["expires_in"] != float64(86400) || pair["access_token"] == "" || pair["refresh_token"] == "" {
		t.Fatalf("token pair = %v", pair)
	}
	if pair["user"].(map[string]any)["email"] != e {
		t.Fatalf("pair user = %v", pair["user"])
	}
	wrong := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": e, "password": "wrong-pass-1"}, "")
	unknown := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": email("nobody"), "password": "wrong-pass-1"}, "")
	assertError(t, wrong, 401, "unauthenticated")
	assertError(t, unknown, 401, "unauthenticated")
	if wrong.json(t)["error"].(map[string]any)["message"] != unknown.json(t)["error"].(map[string]any)["message"] {
		t.Fatalf("wrong password and unknown account answer differently: %s / %s", wrong.body, unknown.body)
	}
}

func testMe(t *testing.T, f *fleet) {
	e, pair := register(t, f, "linus")
	token := pair["access_token"].(string)
	r := f.do(t, "GET", "/api/v1/users/me", nil, token)
	if r.status != 200 || r.json(t)["email"] != e {
		t.Fatalf("GET /users/me: %d %s", r.status, r.body)
	}
	assertError(t, f.do(t, "GET", "/api/v1/users/me", nil, ""), 401, "unauthenticated")
	r = f.do(t, "PATCH", "/api/v1/users/me", map[string]string{"name": "Linus T."}, token)
	if r.status != 200 || r.json(t)["name"] != "Linus T." {
		t.Fatalf("PATCH /users/me: %d %s", r.status, r.body)
	}
	if got := f.do(t, "GET", "/api/v1/users/me", nil, token).json(t)["name"]; got != "Linus T." {
		t.Fatalf("read after write: name = %v", got)
	}
	assertError(t, f.do(t, "PATCH", "/api/v1/users/me", map[string]string{"name": ""}, token), 400, "invalid_argument", "name")
}

func testAddresses(t *testing.T, f *fleet) {
	_, pair := register(t, f, "ken")
	token := pair["access_token"].(string)
	_, other := register(t, f, "dennis")
	addr := map[string]string{"line1": "1 Bell Labs Way", "city": "Murray Hill", "state": "NJ", "postal_code": "07974", "country": "us"}
	r := f.do(t, "POST", "/api/v1/users/me/addresses", addr, token)
	if r.status != 201 {
		t.Fatalf("add address: %d %s", r.status, r.body)
	}
	first := r.json(t)
	want := map[string]any{"id": first["id"], "line1": "1 Bell Labs Way", "line2": "", "city": "Murray Hill", "state": "NJ", "postal_code": "07974", "country": "US"}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Fatalf("address (-want +got):\n%s", diff)
	}
	second := f.do(t, "POST", "/api/v1/users/me/addresses", map[string]string{"line1": "2 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}, token).json(t)
	// Unpaginated: page and per_page are ignored (API.md).
	list := f.do(t, "GET", "/api/v1/users/me/addresses?page=2&per_page=1", nil, token).json(t)
	items := list["items"].([]any)
	if list["total"] != float64(2) || len(items) != 2 || items[0].(map[string]any)["id"] != first["id"] || items[1].(map[string]any)["id"] != second["id"] {
		t.Fatalf("list = %v", list)
	}
	assertError(t, f.do(t, "POST", "/api/v1/users/me/addresses", map[string]string{"line1": "", "city": "X", "postal_code": "1", "country": "XX"}, token),
		400, "invalid_argument", "line1", "country")
	// Another user cannot delete it: not found, no enumeration.
	assertError(t, f.do(t, "DELETE", "/api/v1/users/me/addresses/"+first["id"].(string), nil, other["access_token"].(string)), 404, "not_found")
	r = f.do(t, "DELETE", "/api/v1/users/me/addresses/"+first["id"].(string), nil, token)
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("delete: %d %q", r.status, r.body)
	}
	assertError(t, f.do(t, "DELETE", "/api/v1/users/me/addresses/"+first["id"].(string), nil, token), 404, "not_found")
	if list := f.do(t, "GET", "/api/v1/users/me/addresses", nil, token).json(t); list["total"] != float64(1) {
		t.Fatalf("after delete: %v", list)
	}
}

func testRefresh(t *testing.T, f *fleet) {
	_, pair := register(t, f, "barbara")
	first := pair["refresh_token"].(string)
	r := f.do(t, "POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": first}, "")
	if r.status != 200 {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	second := r.json(t)
	if second["refresh_token"] == first || second["access_token"] == "" {
		t.Fatalf("refresh did not rotate: %v", second)
	}
	if me := f.do(t, "GET", "/api/v1/users/me", nil, second["access_token"].(string)); me.status != 200 {
		t.Fatalf("new access token refused: %d", me.status)
	}
	// Reusing the rotated token revokes the whole family: the newest token and the session's
	// access tokens stop working too.
	assertError(t, f.do(t, "POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": first}, ""), 401, "unauthenticated")
	assertError(t, f.do(t, "POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": second["refresh_token"].(string)}, ""), 401, "unauthenticated")
	assertError(t, f.do(t, "GET", "/api/v1/users/me", nil, second["access_token"].(string)), 401, "unauthenticated")
	assertError(t, f.do(t, "POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": "garbage"}, ""), 401, "unauthenticated")
}

func testLogout(t *testing.T, f *fleet) {
	_, pair := register(t, f, "margaret")
	token, refresh := pair["access_token"].(string), pair["refresh_token"].(string)
	assertError(t, f.do(t, "POST", "/api/v1/auth/logout", map[string]string{"refresh_token": refresh}, ""), 401, "unauthenticated")
	r := f.do(t, "POST", "/api/v1/auth/logout", map[string]string{"refresh_token": refresh}, token)
	if r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	assertError(t, f.do(t, "GET", "/api/v1/users/me", nil, token), 401, "unauthenticated")
	assertError(t, f.do(t, "POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": refresh}, ""), 401, "unauthenticated")
}

var resetLink = regexp.MustCompile(`/reset-password\?token=([A-Za-z0-9_%-]+)`)

func testPasswordReset(t *testing.T, f *fleet) {
	e, pair := register(t, f, "frances")
	oldToken := pair["access_token"].(string)
	for _, who := range []string{e, email("ghost")} {
		r := f.do(t, "POST", "/api/v1/auth/password-reset-request", map[string]string{"email": who}, "")
		if r.status != 202 {
			t.Fatalf("reset request for %s: %d %s", who, r.status, r.body)
		}
	}
	token := mailedToken(t, f, e)
	assertError(t, f.do(t, "POST", "/api/v1/auth/password-reset", map[string]string{"token": token, "new_password": "short"}, ""), 400, "invalid_argument", "new_password")
	r := f.do(t, "POST", "/api/v1/auth/password-reset", map[string]string{"token": token, "new_password": "brand-new-pass-9"}, "")
	if r.status != 204 {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	assertError(t, f.do(t, "POST", "/api/v1/auth/password-reset", map[string]string{"token": token, "new_password": "another-pass-8"}, ""), 400, "invalid_argument", "token")
	assertError(t, f.do(t, "GET", "/api/v1/users/me", nil, oldToken), 401, "unauthenticated")
	assertError(t, f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": e, "password": "s3cret-pass"}, ""), 401, "unauthenticated")
	r = f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": e, "password": "brand-new-pass-9"}, "")
	if r.status != 200 {
		t.Fatalf("login with the new password: %d %s", r.status, r.body)
	}
	if me := f.do(t, "GET", "/api/v1/users/me", nil, r.json(t)["access_token"].(string)); me.status != 200 {
		t.Fatalf("a session started after the reset is refused: %d %s", me.status, me.body)
	}
	assertError(t, f.do(t, "POST", "/api/v1/auth/password-reset", map[string]string{"token": "bogus", "new_password": "another-pass-8"}, ""), 400, "invalid_argument", "token")
}

// mailedToken finds the reset token in the mail written for address.
func mailedToken(t *testing.T, f *fleet, address string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(f.mailDir, "*.eml"))
		for _, name := range files {
			b, _ := os.ReadFile(name)
			if strings.Contains(string(b), "To: "+address) {
				if m := resetLink.FindStringSubmatch(string(b)); m != nil {
					return m[1]
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no reset mail for %s in %s", address, f.mailDir)
	return ""
}

func testBadTokens(t *testing.T, f *fleet) {
	_, pair := register(t, f, "alan")
	token := pair["access_token"].(string)
	parts := strings.Split(token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	enc := base64.RawURLEncoding.EncodeToString
	tampered := parts[0] + "." + enc([]byte(strings.Replace(string(payload), `"customer"`, `"admin"`, 1))) + "." + parts[2]
	none := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	for name, bad := range map[string]string{"tampered": tampered, "alg none": none, "garbage": "abc.def.ghi"} {
		t.Run(name, func(t *testing.T) {
			assertError(t, f.do(t, "GET", "/api/v1/users/me", nil, bad), 401, "unauthenticated")
		})
	}
	r := f.do(t, "GET", "/api/v1/users/me", nil, "", "Authorization", "Basic dXNlcjpwYXNz")
	assertError(t, r, 401, "unauthenticated")
	for _, h := range []string{"Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy", "RateLimit-Limit", "RateLimit-Remaining"} {
		if r.header.Get(h) == "" {
			t.Errorf("response lacks %s", h)
		}
	}
}

// TestRateLimits runs a fleet with the default budgets of API.md.
func TestRateLimits(t *testing.T) {
	f := startFleet(t, "STOREFRONT_RATE_LIMIT_AUTH=5/15m", "STOREFRONT_RATE_LIMIT_API=100/1m")
	// Failed logins count too, and register shares the budget.
	for i := 1; i <= 4; i++ {
		r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": "x@example.com", "password": "wrong-pass-1"}, "")
		if r.status != http.StatusUnauthorized || r.header.Get("RateLimit-Limit") != "5" {
			t.Fatalf("login %d: %d %v", i, r.status, r.header)
		}
	}
	r := f.do(t, "POST", "/api/v1/auth/register", map[string]string{"email": email("rl"), "password": "good-pass-1", "name": "R"}, "")
	if r.status != 201 || r.header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("5th auth call: %d remaining=%s", r.status, r.header.Get("RateLimit-Remaining"))
	}
	r = f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": "x@example.com", "password": "wrong-pass-1"}, "")
	assertError(t, r, 429, "resource_exhausted")
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("429 without Retry-After: %v", r.header)
	}
	// Other endpoints have their own budget.
	r = f.do(t, "GET", "/api/v1/openapi.json", nil, "")
	if r.status != 200 || r.header.Get("RateLimit-Limit") != "100" {
		t.Fatalf("API budget: %d %v", r.status, r.header)
	}
}

// testIdentityEvents checks what other contexts see of identity: UserRegistered on the
// IDENTITY stream, and none of the private events that carry hashes.
func testIdentityEvents(t *testing.T, f *fleet) {
	e, _ := register(t, f, "claude")
	nc, err := nats.Connect(f.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		stream, err := js.Stream(t.Context(), "IDENTITY")
		if err == nil {
			found, leaked := scanStream(t, stream, e)
			if leaked != "" {
				t.Fatalf("private event on JetStream: %s", leaked)
			}
			if found {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no UserRegistered for %s on the IDENTITY stream (last error %v)", e, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func scanStream(t *testing.T, s jetstream.Stream, email string) (found bool, leaked string) {
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		msg, err := s.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.Contains(msg.Subject, "Password") || strings.Contains(msg.Subject, "Session"):
			return found, msg.Subject
		case msg.Subject == "identity.user.UserRegistered" && strings.Contains(string(msg.Data), email):
			found = true
		}
	}
	return found, ""
}
