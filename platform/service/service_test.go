package service

import (
	"strings"
	"testing"

	"github.com/storefront/storefront/platform/config"
)

func TestLoadBase(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want Base
		errs []string // variables the error names
	}{
		{"defaults", map[string]string{"STOREFRONT_DATABASE_URL": "postgres://db/x", "STOREFRONT_NATS_URL": "nats://n:4222"},
			Base{Name: "cart", GRPCAddr: "127.0.0.1:9103", DatabaseURL: "postgres://db/x", NATSURL: "nats://n:4222", Replicas: 1, DBMaxConns: 20}, nil},
		{"the service's own address variable", map[string]string{"STOREFRONT_DATABASE_URL": "postgres://db/x", "STOREFRONT_NATS_URL": "nats://n:4222",
			"STOREFRONT_CART_ADDR": "0.0.0.0:9090", "STOREFRONT_STREAM_REPLICAS": "3", "STOREFRONT_METRICS_ADDR": "0.0.0.0:9464"},
			Base{Name: "cart", GRPCAddr: "0.0.0.0:9090", MetricsAddr: "0.0.0.0:9464", DatabaseURL: "postgres://db/x", NATSURL: "nats://n:4222", Replicas: 3, DBMaxConns: 20}, nil},
		{"required and bad values", map[string]string{"STOREFRONT_CART_ADDR": "nope", "STOREFRONT_STREAM_REPLICAS": "9"}, Base{},
			[]string{"STOREFRONT_DATABASE_URL", "STOREFRONT_NATS_URL", "STOREFRONT_CART_ADDR", "STOREFRONT_STREAM_REPLICAS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := config.FromMap(tc.vars)
			got := LoadBase(env, "cart", "127.0.0.1:9103")
			err := env.Err()
			if len(tc.errs) == 0 {
				if err != nil || got != tc.want {
					t.Fatalf("LoadBase = %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			for _, v := range tc.errs {
				if err == nil || !strings.Contains(err.Error(), v) {
					t.Errorf("error %v does not name %s", err, v)
				}
			}
		})
	}
}

func TestMigrations_EventStoreAndRelayFirst(t *testing.T) {
	sets := Migrations("cart")
	if len(sets) != 2 {
		t.Fatalf("%d sets, want the event store's and the relay's", len(sets))
	}
}
