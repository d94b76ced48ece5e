package main

import (
	"strings"
	"testing"

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
