// Package deploy holds the deployment files of the fleet (docker/, k8s/, monitoring/ and the
// repository's compose.yaml) and this test of the Compose file.
package deploy

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
)

// TestCompose_ValidAndHoldsTheWholeFleet loads compose.yaml with compose-go (the loader Docker
// Compose itself uses: schema validation, anchors, interpolation) and checks it runs every
// process of the fleet, built from the one Dockerfile, next to PostgreSQL, NATS, Redis and
// stripe-mock, with the gateway told where every service is.
func TestCompose_ValidAndHoldsTheWholeFleet(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{"../compose.yaml"}, cli.WithWorkingDirectory(".."), cli.WithName("storefront"))
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, dep := range []string{"postgres", "nats", "redis", "stripe-mock"} {
		if _, ok := project.Services[dep]; !ok {
			t.Errorf("no %s service", dep)
		}
	}
	gateway, ok := project.Services["gateway"]
	if !ok {
		t.Fatal("no gateway service")
	}
	for _, name := range append(fleetServices(t), "projector") {
		s, ok := project.Services[name]
		if !ok {
			t.Errorf("the fleet's %s is not in compose.yaml", name)
			continue
		}
		if s.Build == nil || !strings.HasSuffix(s.Build.Dockerfile, "deploy/docker/Dockerfile") || s.Build.Args["CMD"] == nil {
			t.Errorf("%s is not built from deploy/docker/Dockerfile with a CMD", name)
		}
		if s.Environment["STOREFRONT_DATABASE_URL"] == nil || s.Environment["STOREFRONT_NATS_URL"] == nil {
			t.Errorf("%s lacks the database or NATS URL", name)
		}
		if name == "projector" {
			continue
		}
		if addr := gateway.Environment["STOREFRONT_"+strings.ToUpper(name)+"_ADDR"]; addr == nil || *addr != name+":9090" {
			t.Errorf("the gateway does not know where %s is", name)
		}
	}
}

// fleetServices are the services of go.work: ./services/<name>.
func fleetServices(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../go.work")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "./services/"); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
