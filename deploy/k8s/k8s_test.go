// Package k8s holds the production manifests (kustomize) and the test that builds them.
package k8s

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func build(t *testing.T, dir string) resmap.ResMap {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	return m
}

// TestManifests_EveryWorkloadIsProbedBudgetedAndSized builds every overlay and checks what
// production relies on: probes, resource requests, a disruption budget per workload, an
// autoscaler per Deployment, and no floating image tag in production.
func TestManifests_EveryWorkloadIsProbedBudgetedAndSized(t *testing.T) {
	for _, overlay := range []string{"overlays/dev", "overlays/production"} {
		t.Run(overlay, func(t *testing.T) {
			m := build(t, overlay)
			pdbs, hpas := map[string]bool{}, map[string]bool{}
			for _, r := range m.Resources() {
				switch r.GetKind() {
				case "PodDisruptionBudget":
					app, _ := r.GetFieldValue("spec.selector.matchLabels.app\\.kubernetes\\.io/name")
					pdbs[fmt.Sprint(app)] = true
				case "HorizontalPodAutoscaler":
					target, _ := r.GetFieldValue("spec.scaleTargetRef.name")
					hpas[fmt.Sprint(target)] = true
				}
			}
			workloads := 0
			for _, r := range m.Resources() {
				kind := r.GetKind()
				if kind != "Deployment" && kind != "StatefulSet" {
					continue
				}
				workloads++
				name := r.GetName()
				if !pdbs[name] {
					t.Errorf("%s %s has no PodDisruptionBudget", kind, name)
				}
				if kind == "Deployment" && !hpas[name] {
					t.Errorf("Deployment %s has no HorizontalPodAutoscaler", name)
				}
				node, err := r.Pipe(yaml.Lookup("spec", "template", "spec", "containers"))
				if err != nil || node == nil {
					t.Fatalf("%s %s: no containers", kind, name)
				}
				containers, _ := node.Elements()
				for _, c := range containers {
					cname := yaml.GetValue(c.Field("name").Value)
					for _, field := range []string{"readinessProbe", "livenessProbe", "resources"} {
						if c.Field(field) == nil {
							t.Errorf("%s %s container %s has no %s", kind, name, cname, field)
						}
					}
					image := yaml.GetValue(c.Field("image").Value)
					if overlay == "overlays/production" && (strings.HasSuffix(image, ":latest") || !strings.Contains(image, ":")) {
						t.Errorf("%s %s runs a floating image %q in production", kind, name, image)
					}
				}
			}
			if workloads == 0 {
				t.Fatal("no workloads built")
			}
		})
	}
}
