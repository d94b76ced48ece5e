package grpcx

import (
	"context"
	"errors"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es"
)

var kindCodes = map[*errs.Kind]codes.Code{
	errs.InvalidArgument:    codes.InvalidArgument,
	errs.NotFound:           codes.NotFound,
	errs.AlreadyExists:      codes.AlreadyExists,
	errs.FailedPrecondition: codes.FailedPrecondition,
	errs.Aborted:            codes.Aborted,
	errs.Unauthenticated:    codes.Unauthenticated,
	errs.PermissionDenied:   codes.PermissionDenied,
	errs.ResourceExhausted:  codes.ResourceExhausted,
	errs.Unavailable:        codes.Unavailable,
}

// ToStatus maps an application error to the gRPC status a client sees, and reports whether
// it is internal (its text must not reach the client and it should be logged).
func ToStatus(err error) (st *status.Status, internal bool) {
	if s, ok := status.FromError(err); ok {
		return s, s.Code() == codes.Internal || s.Code() == codes.Unknown
	}
	var v *errs.Validation
	switch {
	case errors.As(err, &v):
		st := status.New(codes.InvalidArgument, "invalid request")
		br := &errdetails.BadRequest{}
		for _, x := range v.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: x.Field, Description: x.Reason})
		}
		if withDetails, derr := st.WithDetails(br); derr == nil {
			st = withDetails
		}
		return st, false
	case errs.KindOf(err) != nil:
		return status.New(kindCodes[errs.KindOf(err)], err.Error()), false
	case errors.Is(err, es.ErrConcurrency):
		return status.New(codes.Aborted, "the resource was changed concurrently; retry"), false
	case errors.Is(err, es.ErrDuplicate):
		return status.New(codes.AlreadyExists, "already exists"), false
	case errors.Is(err, aggregate.ErrNotFound):
		return status.New(codes.NotFound, "not found"), false
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, "canceled"), false
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "deadline exceeded"), false
	default:
		return status.New(codes.Internal, "internal error"), true
	}
}

// MDHTTPStatus is the response header a handler sets, with SetHTTPStatus, when its success
// answers with another HTTP status than its route's policy declares (a POST that found the
// resource already there: 200 instead of 201). The edge reads it and never forwards it.
const MDHTTPStatus = "x-sf-http-status"

// SetHTTPStatus asks the edge to answer this call's success with HTTP status code (a 2xx).
func SetHTTPStatus(ctx context.Context, code int) error {
	return grpc.SetHeader(ctx, metadata.Pairs(MDHTTPStatus, strconv.Itoa(code)))
}
