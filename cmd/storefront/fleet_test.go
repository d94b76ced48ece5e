package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestFleet_EveryListNamesTheSameServices checks that the places a service joins agree with
// the launcher's fleet (docs/new-service.md): its module in go.work, its binary in the
// Makefile's FLEET, its backend in the gateway with the same address variable, and its
// manifests in deploy/k8s with that variable on the gateway. A service added to one list and
// forgotten in another fails here, not in production.
func TestFleet_EveryListNamesTheSameServices(t *testing.T) {
	root := filepath.Join("..", "..")
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	services := map[string]string{} // name → address variable, from the launcher's fleet
	for _, p := range fleet() {
		if p.grpcAddrEnv != "" {
			services[p.name] = p.grpcAddrEnv
			if want := "STOREFRONT_" + strings.ToUpper(p.name) + "_ADDR"; p.grpcAddrEnv != want {
				t.Errorf("fleet: %s's address variable is %s, want %s", p.name, p.grpcAddrEnv, want)
			}
		}
	}
	if len(services) == 0 {
		t.Fatal("the fleet has no gRPC service")
	}

	dirs, err := os.ReadDir(filepath.Join(root, "services"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, d := range dirs {
		if d.IsDir() {
			onDisk = append(onDisk, d.Name())
		}
	}
	gowork, makefile := read("go.work"), read("Makefile")
	backends := map[string]string{}
	for _, m := range regexp.MustCompile(`\{"([a-z]+)", "(STOREFRONT_[A-Z_]+)"`).FindAllStringSubmatch(read("gateway/internal/backends/backends.go"), -1) {
		backends[m[1]] = m[2]
	}
	kustomization, gateway := read("deploy/k8s/base/kustomization.yaml"), read("deploy/k8s/base/gateway.yaml")
	for _, name := range onDisk {
		if _, ok := services[name]; !ok {
			t.Errorf("services/%s is not in the launcher's fleet (cmd/storefront/fleet.go)", name)
		}
	}
	for name, addr := range services {
		if !slices.Contains(onDisk, name) {
			t.Errorf("fleet names %s, but there is no services/%s", name, name)
		}
		if !regexp.MustCompile(`(?m)^\s*\./services/` + name + `\s*$`).MatchString(gowork) {
			t.Errorf("go.work does not use ./services/%s", name)
		}
		if !strings.Contains(makefile, "./services/"+name+"/cmd/"+name) {
			t.Errorf("the Makefile's FLEET does not build ./services/%s/cmd/%s", name, name)
		}
		if got, ok := backends[name]; !ok || got != addr {
			t.Errorf("gateway backend %s: address variable %q, want %q", name, got, addr)
		}
		if !regexp.MustCompile(`(?m)^\s*-\s*` + name + `\.yaml\s*$`).MatchString(kustomization) {
			t.Errorf("deploy/k8s/base/kustomization.yaml does not list %s.yaml", name)
		}
		if _, err := os.Stat(filepath.Join(root, "deploy", "k8s", "base", name+".yaml")); err != nil {
			t.Errorf("no deploy/k8s/base/%s.yaml", name)
		} else if m := read("deploy/k8s/base/" + name + ".yaml"); !strings.Contains(m, "name: "+addr) {
			t.Errorf("deploy/k8s/base/%s.yaml does not set %s", name, addr)
		}
		if !strings.Contains(gateway, "name: "+addr) {
			t.Errorf("the gateway's manifest does not give it %s", addr)
		}
	}
	for name := range backends {
		if _, ok := services[name]; !ok {
			t.Errorf("gateway backend %s is not in the launcher's fleet", name)
		}
	}
}

func TestPoolShare_FitsTheServer(t *testing.T) {
	for _, tc := range []struct{ maxConns, processes, want int }{
		{100, 11, 6},  // the machine's default: 66 of 100 at most, 25 left
		{500, 11, 20}, // capped at the pools' default
		{40, 11, 4},   // a tiny server still gets working pools
		{100, 0, 20},
	} {
		if got := poolShare(tc.maxConns, tc.processes); got != tc.want {
			t.Errorf("poolShare(%d, %d) = %d, want %d", tc.maxConns, tc.processes, got, tc.want)
		}
		if tc.processes > 0 && tc.want > 4 && poolShare(tc.maxConns, tc.processes)*tc.processes > tc.maxConns-connReserve {
			t.Errorf("the pools of %d processes exceed %d connections", tc.processes, tc.maxConns-connReserve)
		}
	}
}
