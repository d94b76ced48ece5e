package main

import (
	"strings"
	"testing"

	"github.com/storefront/storefront/platform/config"
)

func TestLoadConfig(t *testing.T) {
	const db, read, events = "postgres://db/storefront", "postgres://read/rm", "postgres://ro@db/storefront"
	tests := []struct {
		name     string
		vars     map[string]string
		needNATS bool
		want     Config
		wantErr  string // a variable the error names
	}{
		{"defaults to the one database", map[string]string{"STOREFRONT_DATABASE_URL": db, "STOREFRONT_NATS_URL": "nats://n:4222"}, true,
			Config{DatabaseURL: db, EventsDatabaseURL: db, NATSURL: "nats://n:4222", RedisPrefix: "sf:", DBMaxConns: 20}, ""},
		{"redis for the commit counters", map[string]string{"STOREFRONT_DATABASE_URL": db, "STOREFRONT_REDIS_URL": "redis://r:6379/0",
			"STOREFRONT_REDIS_PREFIX": "p:"}, false,
			Config{DatabaseURL: db, EventsDatabaseURL: db, RedisURL: "redis://r:6379/0", RedisPrefix: "p:", DBMaxConns: 20}, ""},
		{"read models and event stores apart", map[string]string{"STOREFRONT_READ_DATABASE_URL": read, "STOREFRONT_EVENTS_DATABASE_URL": events}, false,
			Config{DatabaseURL: read, EventsDatabaseURL: events, RedisPrefix: "sf:", DBMaxConns: 20}, ""},
		{"no database", map[string]string{"STOREFRONT_NATS_URL": "nats://n:4222"}, true, Config{}, "STOREFRONT_DATABASE_URL"},
		{"run needs NATS", map[string]string{"STOREFRONT_DATABASE_URL": db}, true, Config{}, "STOREFRONT_NATS_URL"},
		{"rebuild does not", map[string]string{"STOREFRONT_DATABASE_URL": db}, false, Config{DatabaseURL: db, EventsDatabaseURL: db, RedisPrefix: "sf:", DBMaxConns: 20}, ""},
		{"bad URL", map[string]string{"STOREFRONT_DATABASE_URL": db, "STOREFRONT_EVENTS_DATABASE_URL": "mysql://x"}, false, Config{}, "STOREFRONT_EVENTS_DATABASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadConfig(config.FromMap(tt.vars), tt.needNATS)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("config %+v, want %+v", got, tt.want)
			}
		})
	}
}
