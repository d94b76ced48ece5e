package relay_test

import (
	"strings"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/relay"
)

func TestConfig_Validate(t *testing.T) {
	valid := relay.Config{Context: "catalog", Schema: "catalog"}
	with := func(f func(*relay.Config)) relay.Config {
		c := valid
		f(&c)
		return c
	}
	tests := []struct {
		name string
		cfg  relay.Config
		want []string // substrings of the error; none for a valid config
	}{
		{"defaults", valid, nil},
		{"every field set", relay.Config{Context: "t0a1catalog", Schema: "catalog_2", BatchSize: 10000, MaxInFlight: 1,
			AckTimeout: time.Second, PollInterval: 10 * time.Millisecond, LeaseRetryInterval: time.Second,
			LeaseCheckInterval: time.Second, StreamReplicas: 3, StreamMaxAge: 2 * time.Minute,
			RetryMin: time.Second, RetryMax: time.Second}, nil},
		{"no context", with(func(c *relay.Config) { c.Context = "" }), []string{"Context"}},
		{"context with a dot", with(func(c *relay.Config) { c.Context = "cat.alog" }), []string{"Context"}},
		{"context in capitals", with(func(c *relay.Config) { c.Context = "Catalog" }), []string{"Context"}},
		{"no schema", with(func(c *relay.Config) { c.Schema = "" }), []string{"Schema"}},
		{"schema with a quote", with(func(c *relay.Config) { c.Schema = `cat"alog` }), []string{"Schema"}},
		{"negative batch", with(func(c *relay.Config) { c.BatchSize = -1 }), []string{"BatchSize -1"}},
		{"huge batch", with(func(c *relay.Config) { c.BatchSize = 20000 }), []string{"BatchSize 20000"}},
		{"negative in flight", with(func(c *relay.Config) { c.MaxInFlight = -5 }), []string{"MaxInFlight -5"}},
		{"poll too fast", with(func(c *relay.Config) { c.PollInterval = time.Millisecond }), []string{"PollInterval 1ms"}},
		{"negative lease retry", with(func(c *relay.Config) { c.LeaseRetryInterval = -time.Second }), []string{"LeaseRetryInterval"}},
		{"negative lease check", with(func(c *relay.Config) { c.LeaseCheckInterval = -time.Second }), []string{"LeaseCheckInterval"}},
		{"negative ack timeout", with(func(c *relay.Config) { c.AckTimeout = -time.Second }), []string{"AckTimeout"}},
		{"retry max below min", with(func(c *relay.Config) { c.RetryMin, c.RetryMax = time.Second, 500*time.Millisecond }), []string{"RetryMax 500ms"}},
		{"seven replicas", with(func(c *relay.Config) { c.StreamReplicas = 7 }), []string{"StreamReplicas 7"}},
		{"max age below the duplicate window", with(func(c *relay.Config) { c.StreamMaxAge = time.Minute }), []string{"StreamMaxAge 1m0s"}},
		{"every problem at once", relay.Config{BatchSize: -1, StreamReplicas: -1},
			[]string{"Context", "Schema", "BatchSize", "StreamReplicas"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error naming %v", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestNew_RejectsAnInvalidConfigOrMissingDeps(t *testing.T) {
	if _, err := relay.New(relay.Config{}, relay.Deps{}); err == nil || !strings.Contains(err.Error(), "Context") {
		t.Errorf("New with an empty config: %v, want the config's error", err)
	}
	if _, err := relay.New(relay.Config{Context: "catalog", Schema: "catalog"}, relay.Deps{}); err == nil || !strings.Contains(err.Error(), "NATS") {
		t.Errorf("New without NATS: %v, want an error naming it", err)
	}
}
