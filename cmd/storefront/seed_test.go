package main

import (
	"strings"
	"testing"

	"github.com/storefront/storefront/platform/config"
)

func TestDemoDataEnabled_OnByDefaultOffWhenFalse(t *testing.T) {
	tests := []struct {
		vars map[string]string
		want bool
	}{
		{nil, true},
		{map[string]string{"STOREFRONT_DEMO_DATA": "true"}, true},
		{map[string]string{"STOREFRONT_DEMO_DATA": "false"}, false},
		{map[string]string{"STOREFRONT_DEMO_DATA": "0"}, false},
	}
	for _, tt := range tests {
		got, err := demoDataEnabled(config.FromMap(tt.vars))
		if err != nil || got != tt.want {
			t.Errorf("%v: %v, %v; want %v", tt.vars, got, err, tt.want)
		}
	}
	_, err := demoDataEnabled(config.FromMap(map[string]string{"STOREFRONT_DEMO_DATA": "sometimes"}))
	if err == nil || !strings.Contains(err.Error(), "STOREFRONT_DEMO_DATA:") {
		t.Fatalf("err = %v, want one naming STOREFRONT_DEMO_DATA", err)
	}
}
