package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/config"
)

func TestLoadConfig_ABadValueNamesItsVariable(t *testing.T) {
	tests := map[string]map[string]string{
		"STOREFRONT_HTTP_ADDR":       {"STOREFRONT_HTTP_ADDR": "8080"},
		"STOREFRONT_DATABASE_URL":    {"STOREFRONT_DATABASE_URL": "mysql://x/y"},
		"STOREFRONT_RATE_LIMIT_AUTH": {"STOREFRONT_RATE_LIMIT_AUTH": "five"},
		"STOREFRONT_LOG_LEVEL":       {"STOREFRONT_LOG_LEVEL": "loud"},
		"STRIPE_SECRET_KEY":          {"STRIPE_SECRET_KEY": "sk_test_x"},
		"STOREFRONT_ADMIN_EMAIL":     {"STOREFRONT_ADMIN_PASSWORD": "only-a-password-1"},
		"STOREFRONT_STRIPE_API_BASE": {"STOREFRONT_STRIPE_API_BASE": "not a url", "STRIPE_SECRET_KEY": "sk"},
		"STOREFRONT_WEB_DIR":         {"STOREFRONT_WEB_DIR": t.TempDir()}, // no index.html
	}
	for name, vars := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(config.FromMap(vars), t.TempDir())
			if err == nil || !strings.Contains(err.Error(), name+":") {
				t.Fatalf("err = %v, want one naming %s", err, name)
			}
		})
	}
}

func TestLoadConfig_DefaultsAndTheDevAdminIsStable(t *testing.T) {
	dir := t.TempDir()
	a, err := loadConfig(config.FromMap(nil), dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.HTTPAddr != "127.0.0.1:8080" || a.PublicURL != "http://127.0.0.1:8080" || a.RateAuth.String() != "5/15m" || !a.adminDefault {
		t.Fatalf("defaults: %+v", a)
	}
	b, _ := loadConfig(config.FromMap(nil), dir)
	if a.AdminPass != b.AdminPass || len(a.AdminPass) < 8 {
		t.Fatalf("dev admin password not kept across starts: %q, %q", a.AdminPass, b.AdminPass)
	}
}

func TestWebDir_TheFlagOrTheVariableReachesTheGatewayAndTheBanner(t *testing.T) {
	dist, other := t.TempDir(), t.TempDir()
	for _, dir := range []string{dist, other} {
		if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(filepath.Dir(dist))
	relative := filepath.Base(dist) // as `-web web/dist` is given from the repository's root

	tests := []struct {
		name string
		args []string
		vars map[string]string
		want string // the gateway's STOREFRONT_WEB_DIR; empty: none
	}{
		{name: "neither: no web store", args: []string{"run"}},
		{name: "the flag", args: []string{"run", "-bin", ".bin", "-web", relative}, want: dist},
		{name: "the variable", args: []string{"run"}, vars: map[string]string{"STOREFRONT_WEB_DIR": relative}, want: dist},
		{name: "the flag wins", args: []string{"run", "-web", dist}, vars: map[string]string{"STOREFRONT_WEB_DIR": other}, want: dist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, o, err := parseArgs(tt.args)
			if err != nil || cmd != "run" {
				t.Fatalf("parseArgs: %q, %v", cmd, err)
			}
			cfg, err := loadConfig(config.FromMap(tt.vars), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.applyWebFlag(o.web); err != nil {
				t.Fatal(err)
			}
			env := gatewayEnv(cfg)
			if got := lookup(env, "STOREFRONT_WEB_DIR"); got != tt.want {
				t.Fatalf("the gateway's STOREFRONT_WEB_DIR = %q, want %q (env %v)", got, tt.want, env)
			}
			if !slices.Contains(env, "STOREFRONT_HTTP_ADDR=127.0.0.1:8080") {
				t.Fatalf("the gateway's environment %v lacks its address", env)
			}
			var b strings.Builder
			banner(&b, cfg, nil, nil, time.Second)
			lines := strings.Split(strings.TrimPrefix(b.String(), "\n"), "\n")
			hasWeb := slices.Contains(lines, "  Web store   http://127.0.0.1:8080/")
			if hasWeb != (tt.want != "") || (hasWeb && lines[1] != "  Web store   http://127.0.0.1:8080/") {
				t.Fatalf("banner, web store %v:\n%s", tt.want != "", b.String())
			}
		})
	}
	var cfg Config
	if err := cfg.applyWebFlag(filepath.Join(dist, "missing")); err == nil || !strings.Contains(err.Error(), "-web:") {
		t.Fatalf("-web naming a directory without a build: %v", err)
	}
}
