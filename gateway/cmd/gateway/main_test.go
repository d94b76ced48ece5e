package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/storefront/storefront/gateway/internal/backends"
	"github.com/storefront/storefront/platform/config"
)

// required are the variables the gateway cannot start without.
func required() map[string]string {
	vars := map[string]string{"STOREFRONT_NATS_URL": "nats://127.0.0.1:4222"}
	for _, b := range backends.All() {
		vars[b.AddrEnv] = "127.0.0.1:9100"
	}
	return vars
}

func TestLoadConfig_WebDirAndMediaOrigin(t *testing.T) {
	dist := t.TempDir()
	if err := os.WriteFile(filepath.Join(dist, "index.html"), []byte("<!doctype html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		vars            map[string]string
		wantWebDir      string
		wantMediaOrigin string
	}{
		{name: "unset: no web app, pictures from the public URL", vars: map[string]string{}},
		{name: "a build", vars: map[string]string{"STOREFRONT_WEB_DIR": dist}, wantWebDir: dist},
		{name: "pictures under the public URL", vars: map[string]string{"STOREFRONT_PUBLIC_URL": "https://shop.example.com",
			"STOREFRONT_MEDIA_PUBLIC_URL": "https://shop.example.com/media/"}},
		{name: "pictures from a CDN", vars: map[string]string{"STOREFRONT_PUBLIC_URL": "https://shop.example.com",
			"STOREFRONT_MEDIA_PUBLIC_URL": "https://CDN.example.com/pictures/"}, wantMediaOrigin: "https://cdn.example.com"},
		{name: "pictures on another port", vars: map[string]string{"STOREFRONT_HTTP_ADDR": "127.0.0.1:8080",
			"STOREFRONT_MEDIA_PUBLIC_URL": "http://127.0.0.1:9000/media/"}, wantMediaOrigin: "http://127.0.0.1:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := required()
			for k, v := range tt.vars {
				vars[k] = v
			}
			cfg, err := loadConfig(config.FromMap(vars))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.WebDir != tt.wantWebDir || cfg.MediaOrigin != tt.wantMediaOrigin {
				t.Fatalf("WebDir %q, MediaOrigin %q; want %q, %q", cfg.WebDir, cfg.MediaOrigin, tt.wantWebDir, tt.wantMediaOrigin)
			}
		})
	}
}

func TestLoadConfig_ABadValueNamesItsVariable(t *testing.T) {
	tests := map[string]map[string]string{
		"STOREFRONT_WEB_DIR":          {"STOREFRONT_WEB_DIR": t.TempDir()}, // no index.html
		"STOREFRONT_MEDIA_PUBLIC_URL": {"STOREFRONT_MEDIA_PUBLIC_URL": "ftp://cdn.example.com/"},
		"STOREFRONT_NATS_URL":         {"STOREFRONT_NATS_URL": ""},
	}
	for name, bad := range tests {
		t.Run(name, func(t *testing.T) {
			vars := required()
			for k, v := range bad {
				vars[k] = v
			}
			_, err := loadConfig(config.FromMap(vars))
			if err == nil || !strings.Contains(err.Error(), name+":") {
				t.Fatalf("err = %v, want one naming %s", err, name)
			}
		})
	}
}
