package policy

import (
	"testing"

	apiv1 "github.com/storefront/storefront/proto/storefront/api/v1"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

func TestLoad_IdentityPolicies(t *testing.T) {
	tab, err := Load(identityv1.File_storefront_identity_v1_identity_proto.Services().Get(0))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method string
		access apiv1.Access
		rate   apiv1.RateClass
		status int
	}{
		{"/storefront.identity.v1.IdentityService/Register", apiv1.Access_ACCESS_PUBLIC, apiv1.RateClass_RATE_CLASS_AUTH, 201},
		{"/storefront.identity.v1.IdentityService/Login", apiv1.Access_ACCESS_PUBLIC, apiv1.RateClass_RATE_CLASS_AUTH, 200},
		{"/storefront.identity.v1.IdentityService/Refresh", apiv1.Access_ACCESS_PUBLIC, apiv1.RateClass_RATE_CLASS_UNSPECIFIED, 200},
		{"/storefront.identity.v1.IdentityService/Logout", apiv1.Access_ACCESS_USER, apiv1.RateClass_RATE_CLASS_UNSPECIFIED, 204},
		{"/storefront.identity.v1.IdentityService/RequestPasswordReset", apiv1.Access_ACCESS_PUBLIC, apiv1.RateClass_RATE_CLASS_AUTH, 202},
		{"/storefront.identity.v1.IdentityService/GetMe", apiv1.Access_ACCESS_USER, apiv1.RateClass_RATE_CLASS_UNSPECIFIED, 200},
		{"/storefront.identity.v1.IdentityService/AddAddress", apiv1.Access_ACCESS_USER, apiv1.RateClass_RATE_CLASS_UNSPECIFIED, 201},
	}
	for _, tt := range tests {
		r, ok := tab.Method(tt.method)
		if !ok || r.Access != tt.access || r.Rate != tt.rate || r.Status != tt.status {
			t.Errorf("%s: %+v (found %v)", tt.method, r, ok)
		}
	}
	if _, ok := tab.Method("/storefront.identity.v1.IdentityService/GetJWKS"); ok {
		t.Error("internal RPC GetJWKS is on the edge")
	}
	for _, p := range []string{"/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/password-reset-request", "/api/v1/auth/password-reset"} {
		if !tab.IsAuthRate("POST", p) {
			t.Errorf("POST %s is not in the auth budget", p)
		}
	}
	if tab.IsAuthRate("POST", "/api/v1/auth/refresh") {
		t.Error("refresh counts as an API call, not an auth one (API.md)")
	}
}
