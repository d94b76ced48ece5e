package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const adminUser = `{"id":"u-1","email":"ops@storefront.local","name":"Ops","role":"admin","created_at":"2026-11-24T10:00:00Z"}`

func tokenPairJSON(access, refresh, userJSON string) string {
	return `{"access_token":"` + access + `","refresh_token":"` + refresh + `","token_type":"Bearer","expires_in":86400,"user":` + userJSON + `}`
}

// withConfigDir points os.UserConfigDir at a temporary directory, as a user's would be, and
// returns the credentials file's path there.
func withConfigDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("HOME", filepath.Join(dir, "home"))
	return filepath.Join(dir, "config", "storefront", "credentials.json")
}

func readCredentials(t *testing.T, path string) credentialsFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the credentials: %v", err)
	}
	var f credentialsFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("credentials file: %v\n%s", err, b)
	}
	return f
}

// loginFake accepts ops@storefront.local / s3cret (an admin) and shop@... / s3cret (a
// customer) at POST /auth/login.
func loginFake(t *testing.T, f *fakeAPI) {
	f.handle("POST /api/v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		var req map[string]string
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("login body: %v", err)
		}
		switch {
		case req["email"] == "ops@storefront.local" && req["password"] == "s3cret":
			writeJSON(w, 200, tokenPairJSON("access-1", "refresh-1", adminUser))
		case req["email"] == "shop@storefront.local" && req["password"] == "s3cret":
			writeJSON(w, 200, tokenPairJSON("access-c", "refresh-c", strings.NewReplacer(`"admin"`, `"customer"`, "ops@", "shop@").Replace(adminUser)))
		default:
			writeJSON(w, 401, `{"error":{"code":"unauthenticated","message":"wrong email or password","details":[]}}`)
		}
	})
}

func TestLogin_StoresTheSession0600AndLaterCommandsUseIt(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		stdin string
	}{
		{"from the environment", map[string]string{"STOREFRONT_EMAIL": "ops@storefront.local", "STOREFRONT_PASSWORD": "s3cret"}, ""},
		{"from piped stdin", nil, "ops@storefront.local\ns3cret\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := withConfigDir(t)
			f := newFakeAPI(t)
			loginFake(t, f)
			f.acceptToken("access-1", true)
			f.reply("GET /api/v1/admin/audit", 200, auditBody)

			inv := f.newInvocation()
			inv.settings.credentials = defaultCredentialStore
			delete(inv.env, "STOREFRONT_TOKEN")
			for k, v := range tc.env {
				inv.env[k] = v
			}
			inv.stdin = tc.stdin
			res := inv.run(t, "login")
			if res.code != 0 {
				t.Fatalf("login: exit code %d; stderr:\n%s", res.code, res.stderr)
			}
			if want := "logged in to " + f.srv.URL + " as ops@storefront.local\n"; res.stdout != want {
				t.Errorf("stdout = %q, want %q", res.stdout, want)
			}
			if strings.Contains(res.stdout+res.stderr, "access-1") || strings.Contains(res.stdout+res.stderr, "refresh-1") {
				t.Errorf("a token was printed: %q %q", res.stdout, res.stderr)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatalf("no credentials at %s: %v", path, err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("credentials mode %v, want 0600", st.Mode().Perm())
			}
			sess := readCredentials(t, path).Servers[f.srv.URL]
			if sess.AccessToken != "access-1" || sess.RefreshToken != "refresh-1" || sess.Email != "ops@storefront.local" || sess.ExpiresAt == "" {
				t.Errorf("stored session %+v", sess)
			}

			inv.env = map[string]string{"STOREFRONT_URL": f.srv.URL}
			if res := inv.run(t, "audit"); res.code != 0 {
				t.Fatalf("audit after login: exit code %d; stderr:\n%s", res.code, res.stderr)
			}
			got := f.requestsTo("GET", "/api/v1/admin/audit")
			if len(got) != 1 || got[0].auth != "Bearer access-1" {
				t.Errorf("audit requests %+v, want one with the stored token", got)
			}
		})
	}
}

func TestLogin_Refused(t *testing.T) {
	tests := []struct {
		name, email, wantStderr string
		wantCode                int
	}{
		{"wrong password", "ops@storefront.local:wrong", "error: unauthenticated: wrong email or password\n", exitAuth},
		{"not an admin", "shop@storefront.local:s3cret", "error: permission_denied: shop@storefront.local is not an admin; the session was not stored\n", exitAuth},
		{"no password", "ops@storefront.local:", "error: login needs an email and a password\nRun 'storefrontctl login --help' for usage.\n", exitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := withConfigDir(t)
			f := newFakeAPI(t)
			loginFake(t, f)
			inv := f.newInvocation()
			inv.settings.credentials = defaultCredentialStore
			email, password, _ := strings.Cut(tc.email, ":")
			inv.env["STOREFRONT_EMAIL"] = email
			inv.stdin = password + "\n"
			res := inv.run(t, "login")
			if res.code != tc.wantCode || res.stderr != tc.wantStderr {
				t.Errorf("exit code %d, stderr %q; want %d, %q", res.code, res.stderr, tc.wantCode, tc.wantStderr)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("credentials were stored (%v)", err)
			}
		})
	}
}

// refreshFake accepts refresh-1 once at POST /auth/refresh, rotating it to access-2 /
// refresh-2, and counts the calls.
type refreshFake struct {
	mu    sync.Mutex
	calls []string
	fail  bool
}

func (rf *refreshFake) install(t *testing.T, f *fakeAPI) {
	f.handle("POST /api/v1/auth/refresh", func(w http.ResponseWriter, r *http.Request) {
		var req map[string]string
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("refresh body: %v", err)
		}
		if r.Header.Get("Authorization") != "" {
			t.Errorf("refresh sent Authorization %q", r.Header.Get("Authorization"))
		}
		rf.mu.Lock()
		rf.calls = append(rf.calls, req["refresh_token"])
		n := len(rf.calls)
		rf.mu.Unlock()
		if rf.fail || req["refresh_token"] != "refresh-1" || n > 1 {
			writeJSON(w, 401, `{"error":{"code":"unauthenticated","message":"refresh token revoked","details":[]}}`)
			return
		}
		f.acceptToken("access-2", true)
		writeJSON(w, 200, tokenPairJSON("access-2", "refresh-2", adminUser))
	})
}

// storeSession writes a session for the fake's URL as login would have.
func storeSession(t *testing.T, f *fakeAPI, inv *invocation, access, refresh string) credentialStore {
	t.Helper()
	store, _ := inv.settings.credentials()
	if err := store.put(f.srv.URL, session{AccessToken: access, RefreshToken: refresh, Email: "ops@storefront.local"}); err != nil {
		t.Fatal(err)
	}
	delete(inv.env, "STOREFRONT_TOKEN")
	return store
}

func TestRefresh_OnAn401TheStoredSessionIsRefreshedOnceAndTheCallRetried(t *testing.T) {
	f := newFakeAPI(t)
	rf := &refreshFake{}
	rf.install(t, f)
	f.reply("GET /api/v1/admin/projections", 200, projectionsBody)
	inv := f.newInvocation()
	store := storeSession(t, f, inv, "access-expired", "refresh-1")

	res := inv.run(t, "--json", "projections", "list")
	if res.code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", res.code, res.stderr)
	}
	if res.stdout != indented(t, projectionsBody) {
		t.Errorf("stdout = %q", res.stdout)
	}
	var auths []string
	for _, r := range f.requestsTo("GET", "/api/v1/admin/projections") {
		auths = append(auths, r.auth)
	}
	if diff := cmp.Diff([]string{"Bearer access-expired", "Bearer access-2"}, auths); diff != "" {
		t.Errorf("Authorization of the calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"refresh-1"}, rf.calls); diff != "" {
		t.Errorf("refresh calls (-want +got):\n%s", diff)
	}
	sess, ok, err := store.get(f.srv.URL)
	if err != nil || !ok || sess.AccessToken != "access-2" || sess.RefreshToken != "refresh-2" {
		t.Errorf("stored session after the refresh: %+v %v %v, want the rotated pair", sess, ok, err)
	}
}

func TestRefresh_Failing(t *testing.T) {
	t.Run("refresh refused", func(t *testing.T) {
		f := newFakeAPI(t)
		rf := &refreshFake{fail: true}
		rf.install(t, f)
		f.reply("GET /api/v1/admin/projections", 200, projectionsBody)
		inv := f.newInvocation()
		storeSession(t, f, inv, "access-expired", "refresh-1")
		res := inv.run(t, "projections", "list")
		want := "error: unauthenticated: the stored session has expired or was revoked: run `storefrontctl login`\n"
		if res.code != exitAuth || res.stderr != want {
			t.Errorf("exit code %d, stderr %q; want %d, %q", res.code, res.stderr, exitAuth, want)
		}
	})
	t.Run("still 401 after the refresh: no loop", func(t *testing.T) {
		f := newFakeAPI(t)
		rf := &refreshFake{}
		rf.install(t, f)
		f.handle("GET /api/v1/admin/projections", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, 401, `{"error":{"code":"unauthenticated","message":"session revoked","details":[]}}`)
		})
		inv := f.newInvocation()
		storeSession(t, f, inv, "access-expired", "refresh-1")
		res := inv.run(t, "projections", "list")
		if res.code != exitAuth || res.stderr != "error: unauthenticated: session revoked\n" {
			t.Errorf("exit code %d, stderr %q", res.code, res.stderr)
		}
		if len(rf.calls) != 1 || len(f.requestsTo("GET", "/api/v1/admin/projections")) != 2 {
			t.Errorf("%d refreshes and %d calls, want 1 and 2", len(rf.calls), len(f.requestsTo("GET", "/api/v1/admin/projections")))
		}
	})
	t.Run("a fixed token is never refreshed", func(t *testing.T) {
		f := newFakeAPI(t)
		rf := &refreshFake{}
		rf.install(t, f)
		inv := f.newInvocation()
		storeSession(t, f, inv, "access-expired", "refresh-1")
		res := inv.run(t, "--token", "some-other-token", "projections", "list")
		if res.code != exitAuth || len(rf.calls) != 0 {
			t.Errorf("exit code %d, %d refreshes; want %d, none", res.code, len(rf.calls), exitAuth)
		}
	})
}

func TestLogout_RevokesAndRemovesTheSession(t *testing.T) {
	path := withConfigDir(t)
	f := newFakeAPI(t)
	f.acceptToken("access-1", true)
	var revoked []string
	f.handle("POST /api/v1/auth/logout", func(w http.ResponseWriter, r *http.Request) {
		var req map[string]string
		_ = json.NewDecoder(r.Body).Decode(&req)
		if r.Header.Get("Authorization") != "Bearer access-1" {
			writeJSON(w, 401, `{"error":{"code":"unauthenticated","message":"no","details":[]}}`)
			return
		}
		revoked = append(revoked, req["refresh_token"])
		w.WriteHeader(http.StatusNoContent)
	})
	inv := f.newInvocation()
	inv.settings.credentials = defaultCredentialStore
	storeSession(t, f, inv, "access-1", "refresh-1")
	if err := (credentialStore{path: path}).put("https://other.example", session{AccessToken: "x"}); err != nil {
		t.Fatal(err)
	}

	res := inv.run(t, "logout")
	if res.code != 0 || res.stdout != "logged out of "+f.srv.URL+"\n" || res.stderr != "" {
		t.Fatalf("exit code %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	if diff := cmp.Diff([]string{"refresh-1"}, revoked); diff != "" {
		t.Errorf("revoked (-want +got):\n%s", diff)
	}
	creds := readCredentials(t, path)
	if _, ok := creds.Servers[f.srv.URL]; ok || len(creds.Servers) != 1 {
		t.Errorf("credentials after logout: %+v, want only the other server's", creds)
	}

	res = inv.run(t, "logout")
	if res.code != 0 || res.stdout != "not logged in to "+f.srv.URL+"\n" {
		t.Errorf("second logout: exit code %d, stdout %q", res.code, res.stdout)
	}
}
