package server

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/gateway/internal/auth"
	"github.com/storefront/storefront/gateway/internal/policy"
	apiv1 "github.com/storefront/storefront/proto/storefront/api/v1"
)

func TestAllowed_EnforcesEachAccessLevel(t *testing.T) {
	customer := caller{principal: auth.Principal{UserID: "u1", Role: "customer"}}
	admin := caller{principal: auth.Principal{UserID: "u2", Role: "admin"}}
	anonymous := caller{err: auth.ErrNoToken}
	badToken := caller{err: auth.ErrInvalid}
	tests := []struct {
		access apiv1.Access
		caller caller
		want   codes.Code
	}{
		{apiv1.Access_ACCESS_PUBLIC, anonymous, codes.OK},
		{apiv1.Access_ACCESS_PUBLIC, badToken, codes.OK},
		{apiv1.Access_ACCESS_USER, anonymous, codes.Unauthenticated},
		{apiv1.Access_ACCESS_USER, badToken, codes.Unauthenticated},
		{apiv1.Access_ACCESS_USER, customer, codes.OK},
		{apiv1.Access_ACCESS_USER, admin, codes.OK},
		{apiv1.Access_ACCESS_ADMIN, anonymous, codes.Unauthenticated},
		{apiv1.Access_ACCESS_ADMIN, customer, codes.PermissionDenied},
		{apiv1.Access_ACCESS_ADMIN, admin, codes.OK},
	}
	for _, tt := range tests {
		got := status.Code(allowed(policy.Route{Access: tt.access}, tt.caller))
		if got != tt.want {
			t.Errorf("%s as %+v: %s, want %s", tt.access, tt.caller, got, tt.want)
		}
	}
}
