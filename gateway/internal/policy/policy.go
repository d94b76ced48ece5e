// Package policy reads the edge policy that every REST-exposed RPC declares next to itself in
// the protos (option (storefront.api.v1.policy)): who may call it, which rate budget it counts
// against, and the HTTP status of its success.
package policy

import (
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	apiv1 "github.com/storefront/storefront/proto/storefront/api/v1"
)

// Route is one RPC exposed over REST and its policy.
type Route struct {
	// Method is the full gRPC method name, "/storefront.identity.v1.IdentityService/Login".
	Method string
	// Verb and Path are the HTTP rule, e.g. "POST" and "/api/v1/auth/login".
	Verb, Path string
	Access     apiv1.Access
	Rate       apiv1.RateClass
	Status     int
}

// Table is the policy of every REST route of the edge.
type Table struct {
	byMethod map[string]Route
	authRate map[string]bool // "VERB /literal/path" of routes in the auth budget
}

// Load reads the policies of the services' REST-annotated methods. A REST method without a
// policy, or an auth-budget route with a templated path, is a start-up error.
func Load(services ...protoreflect.ServiceDescriptor) (*Table, error) {
	t := &Table{byMethod: map[string]Route{}, authRate: map[string]bool{}}
	for _, sd := range services {
		methods := sd.Methods()
		for i := 0; i < methods.Len(); i++ {
			md := methods.Get(i)
			opts := md.Options()
			rule, _ := proto.GetExtension(opts, annotations.E_Http).(*annotations.HttpRule)
			if rule == nil {
				continue // internal RPC, not on the edge
			}
			verb, path := httpRule(rule)
			p, _ := proto.GetExtension(opts, apiv1.E_Policy).(*apiv1.Policy)
			name := "/" + string(sd.FullName()) + "/" + string(md.Name())
			if p == nil || p.GetAccess() == apiv1.Access_ACCESS_UNSPECIFIED {
				return nil, fmt.Errorf("policy: %s is exposed at %s %s but declares no access policy", name, verb, path)
			}
			r := Route{Method: name, Verb: verb, Path: path, Access: p.GetAccess(), Rate: p.GetRate(), Status: int(p.GetSuccessStatus())}
			if r.Status == 0 {
				r.Status = http.StatusOK
			}
			if r.Rate == apiv1.RateClass_RATE_CLASS_AUTH {
				if strings.Contains(path, "{") {
					return nil, fmt.Errorf("policy: %s: auth-budget routes must have literal paths, not %s", name, path)
				}
				t.authRate[verb+" "+path] = true
			}
			t.byMethod[name] = r
		}
	}
	return t, nil
}

func httpRule(r *annotations.HttpRule) (verb, path string) {
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return http.MethodGet, p.Get
	case *annotations.HttpRule_Post:
		return http.MethodPost, p.Post
	case *annotations.HttpRule_Put:
		return http.MethodPut, p.Put
	case *annotations.HttpRule_Patch:
		return http.MethodPatch, p.Patch
	case *annotations.HttpRule_Delete:
		return http.MethodDelete, p.Delete
	case *annotations.HttpRule_Custom:
		return p.Custom.GetKind(), p.Custom.GetPath()
	}
	return "", ""
}

// Method returns the route of a gRPC method.
func (t *Table) Method(fullMethod string) (Route, bool) {
	r, ok := t.byMethod[fullMethod]
	return r, ok
}

// AddAuthRate puts a route the edge serves itself (not an RPC's) in the auth budget: the web
// session's login, which is a login.
func (t *Table) AddAuthRate(verb, path string) { t.authRate[verb+" "+path] = true }

// IsAuthRate reports whether an HTTP request counts against the auth budget.
func (t *Table) IsAuthRate(verb, path string) bool { return t.authRate[verb+" "+path] }

// Routes lists every route.
func (t *Table) Routes() []Route {
	out := make([]Route, 0, len(t.byMethod))
	for _, r := range t.byMethod {
		out = append(out, r)
	}
	return out
}
