package edge

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestStatusError_MapsEveryCodeOfTheContract(t *testing.T) {
	tests := []struct {
		code       codes.Code
		msg        string
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{codes.InvalidArgument, "bad email", 400, "invalid_argument", "bad email"},
		{codes.Unauthenticated, "token expired", 401, "unauthenticated", "token expired"},
		{codes.PermissionDenied, "admins only", 403, "permission_denied", "admins only"},
		{codes.NotFound, "no such order", 404, "not_found", "no such order"},
		{codes.AlreadyExists, "email taken", 409, "already_exists", "email taken"},
		{codes.FailedPrecondition, "cart is empty", 409, "failed_precondition", "cart is empty"},
		{codes.Aborted, "concurrent update", 409, "aborted", "concurrent update"},
		{codes.ResourceExhausted, "slow down", 429, "resource_exhausted", "slow down"},
		{codes.Unavailable, "dial tcp 10.1.2.3:5432: refused", 503, "unavailable", "service unavailable, try again"},
		{codes.Internal, "pq: syntax error at SELECT", 500, "internal", "internal error"},
		{codes.Unknown, "panic: nil map", 500, "internal", "internal error"},
		{codes.DataLoss, "disk", 500, "internal", "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			gotStatus, body := StatusError(status.New(tt.code, tt.msg))
			if gotStatus != tt.wantStatus || body.Error.Code != tt.wantCode || body.Error.Message != tt.wantMsg {
				t.Fatalf("got %d %+v, want %d %s %q", gotStatus, body.Error, tt.wantStatus, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestStatusError_FieldViolationsBecomeDetails(t *testing.T) {
	st, _ := status.New(codes.InvalidArgument, "invalid registration").WithDetails(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "email", Description: "is not an email address"},
			{Field: "password", Description: "must contain a digit"},
		},
	})
	code, body := StatusError(st)
	want := []FieldViolation{{"email", "is not an email address"}, {"password", "must contain a digit"}}
	if code != http.StatusBadRequest {
		t.Fatalf("status = %d", code)
	}
	if diff := cmp.Diff(want, body.Error.Details); diff != "" {
		t.Fatalf("details (-want +got):\n%s", diff)
	}
}
