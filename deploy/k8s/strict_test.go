package k8s

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kinds are the Kubernetes types the manifests may hold, by apiVersion/kind.
var kinds = map[string]func() any{
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Namespace":                           func() any { return &corev1.Namespace{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                      func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"apps/v1/StatefulSet":                    func() any { return &appsv1.StatefulSet{} },
	"batch/v1/Job":                           func() any { return &batchv1.Job{} },
	"autoscaling/v2/HorizontalPodAutoscaler": func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":          func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":     func() any { return &networkingv1.NetworkPolicy{} },
	"networking.k8s.io/v1/Ingress":           func() any { return &networkingv1.Ingress{} },
}

// decodeStrict decodes one rendered resource into its Kubernetes type, refusing fields the
// type does not have (a misspelt or misplaced field is silently dropped by kubectl apply).
func decodeStrict(t *testing.T, apiVersion, kind string, doc []byte) any {
	t.Helper()
	newObj, ok := kinds[apiVersion+"/"+kind]
	if !ok {
		t.Fatalf("%s %s: not a kind these manifests use (add it to kinds)", apiVersion, kind)
	}
	obj := newObj()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		t.Fatalf("%s %s: %v", apiVersion, kind, err)
	}
	return obj
}

// TestManifests_StrictTypesSecurityAndNetwork renders every overlay, decodes every resource
// strictly into its Kubernetes API type, and checks what each service of the fleet
// (services/* in go.work) must have: a Deployment whose containers are probed, sized and
// locked down (non-root, read-only root filesystem, no privilege escalation), a migration
// Job, a default-deny network, and policies that admit the edge's gRPC to it.
func TestManifests_StrictTypesSecurityAndNetwork(t *testing.T) {
	services := fleetServices(t)
	for _, overlay := range []string{"overlays/dev", "overlays/production"} {
		t.Run(overlay, func(t *testing.T) {
			deployments := map[string]*appsv1.Deployment{}
			jobs := map[string]bool{}
			var policies []*networkingv1.NetworkPolicy
			for _, r := range build(t, overlay).Resources() {
				doc, err := r.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				obj := decodeStrict(t, r.GetApiVersion(), r.GetKind(), doc)
				switch o := obj.(type) {
				case *appsv1.Deployment:
					deployments[o.Name] = o
					checkPod(t, "Deployment "+o.Name, o.Spec.Template.Spec, true)
				case *appsv1.StatefulSet:
					checkPod(t, "StatefulSet "+o.Name, o.Spec.Template.Spec, true)
				case *batchv1.Job:
					jobs[o.Name] = true
					checkPod(t, "Job "+o.Name, o.Spec.Template.Spec, false)
				case *networkingv1.NetworkPolicy:
					policies = append(policies, o)
				}
			}
			if !slices.ContainsFunc(policies, func(p *networkingv1.NetworkPolicy) bool {
				return len(p.Spec.PodSelector.MatchLabels)+len(p.Spec.PodSelector.MatchExpressions) == 0 &&
					slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) &&
					len(p.Spec.Ingress)+len(p.Spec.Egress) == 0
			}) {
				t.Error("no default-deny NetworkPolicy (every pod, Ingress and Egress, no rules)")
			}
			gateway := map[string]string{"app.kubernetes.io/name": "gateway"}
			for _, name := range services {
				if deployments[name] == nil {
					t.Errorf("service %s (in go.work) has no Deployment", name)
					continue
				}
				if !jobs[name+"-migrate"] {
					t.Errorf("service %s has no migration Job %s-migrate", name, name)
				}
				labels := deployments[name].Spec.Template.Labels
				if !admits(policies, labels, gateway, "grpc") {
					t.Errorf("service %s: no NetworkPolicy admits the gateway's gRPC to it", name)
				}
				if !reaches(policies, gateway, labels, 9090) {
					t.Errorf("service %s: no NetworkPolicy lets the gateway reach it on 9090", name)
				}
			}
		})
	}
}

func checkPod(t *testing.T, what string, spec corev1.PodSpec, probed bool) {
	t.Helper()
	if spec.SecurityContext == nil || spec.SecurityContext.RunAsNonRoot == nil || !*spec.SecurityContext.RunAsNonRoot {
		t.Errorf("%s: the pod does not run as non-root", what)
	}
	for _, c := range spec.Containers {
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("%s container %s: no CPU and memory requests", what, c.Name)
		}
		if probed && (c.ReadinessProbe == nil || c.LivenessProbe == nil) {
			t.Errorf("%s container %s: no readiness and liveness probes", what, c.Name)
		}
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s container %s: want readOnlyRootFilesystem true and allowPrivilegeEscalation false", what, c.Name)
		}
	}
}

// admits says whether some policy selecting pods with labels has an ingress rule from pods
// with the from labels on the named port.
func admits(policies []*networkingv1.NetworkPolicy, labels, from map[string]string, port string) bool {
	for _, p := range policies {
		if !selects(p.Spec.PodSelector, labels) || !slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			continue
		}
		for _, rule := range p.Spec.Ingress {
			if peersMatch(rule.From, from) && portsMatch(rule.Ports, port, 0) {
				return true
			}
		}
	}
	return false
}

// reaches says whether some policy selecting pods with the from labels has an egress rule to
// pods with the to labels on the port.
func reaches(policies []*networkingv1.NetworkPolicy, from, to map[string]string, port int32) bool {
	for _, p := range policies {
		if !selects(p.Spec.PodSelector, from) || !slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			continue
		}
		for _, rule := range p.Spec.Egress {
			if peersMatch(rule.To, to) && portsMatch(rule.Ports, "", port) {
				return true
			}
		}
	}
	return false
}

func peersMatch(peers []networkingv1.NetworkPolicyPeer, labels map[string]string) bool {
	if len(peers) == 0 {
		return true // from or to anywhere
	}
	for _, peer := range peers {
		if peer.PodSelector != nil && peer.NamespaceSelector == nil && selects(*peer.PodSelector, labels) {
			return true
		}
	}
	return false
}

func portsMatch(ports []networkingv1.NetworkPolicyPort, name string, number int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Port == nil || (name != "" && p.Port.String() == name) || (number != 0 && p.Port.IntValue() == int(number)) {
			return true
		}
	}
	return false
}

// selects evaluates a label selector (matchLabels and the In/NotIn/Exists expressions).
func selects(s metav1.LabelSelector, labels map[string]string) bool {
	for k, v := range s.MatchLabels {
		if labels[k] != v {
			return false
		}
	}
	for _, e := range s.MatchExpressions {
		v, ok := labels[e.Key]
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			if !ok || !slices.Contains(e.Values, v) {
				return false
			}
		case metav1.LabelSelectorOpNotIn:
			if ok && slices.Contains(e.Values, v) {
				return false
			}
		case metav1.LabelSelectorOpExists:
			if !ok {
				return false
			}
		case metav1.LabelSelectorOpDoesNotExist:
			if ok {
				return false
			}
		}
	}
	return true
}

// fleetServices are the services of go.work: ./services/<name>.
func fleetServices(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if name, ok := strings.CutPrefix(line, "./services/"); ok {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		t.Fatal(fmt.Errorf("go.work lists no services"))
	}
	return out
}

// Production is reached over TLS: an Ingress to the gateway with a cert-manager issuer.
func TestProduction_IngressTerminatesTLSWithCertManager(t *testing.T) {
	var found bool
	for _, r := range build(t, "overlays/production").Resources() {
		if r.GetKind() != "Ingress" {
			continue
		}
		doc, _ := r.MarshalJSON()
		in := decodeStrict(t, r.GetApiVersion(), r.GetKind(), doc).(*networkingv1.Ingress)
		found = true
		if in.Annotations["cert-manager.io/cluster-issuer"] == "" || len(in.Spec.TLS) == 0 || in.Spec.TLS[0].SecretName == "" {
			t.Errorf("Ingress %s: no cert-manager issuer or TLS secret", in.Name)
		}
		for _, rule := range in.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				if p.Backend.Service == nil || p.Backend.Service.Name != "gateway" {
					t.Errorf("Ingress %s routes %s elsewhere than the gateway", in.Name, p.Path)
				}
			}
		}
	}
	if !found {
		t.Fatal("production has no Ingress")
	}
}
