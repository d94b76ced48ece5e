// Package errs names the kinds of failure that callers act on differently, so that domain and
// application code can say what went wrong without knowing about gRPC or HTTP. The gRPC
// interceptor of package grpcx maps each kind to its status code, and the gateway maps those
// to HTTP.
//
// Domain code wraps a kind with its own message: fmt.Errorf("%w: order %s is shipped",
// errs.FailedPrecondition, id), or declares sentinels built that way. Errors of no kind are
// internal: logged, never shown.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is a category of failure. Kinds are compared with errors.Is.
type Kind struct{ name string }

func (k *Kind) Error() string { return k.name }

// The kinds, one per client-visible failure of API.md.
var (
	InvalidArgument    = &Kind{"invalid argument"}
	NotFound           = &Kind{"not found"}
	AlreadyExists      = &Kind{"already exists"}
	FailedPrecondition = &Kind{"failed precondition"}
	Aborted            = &Kind{"aborted"}
	Unauthenticated    = &Kind{"unauthenticated"}
	PermissionDenied   = &Kind{"permission denied"}
	ResourceExhausted  = &Kind{"resource exhausted"}
	Unavailable        = &Kind{"unavailable"}
)

// Violation is one invalid field of a request.
type Violation struct {
	Field  string
	Reason string
}

// Validation collects the invalid fields of one request; it is an InvalidArgument error.
// The zero value is ready to use.
type Validation struct {
	Violations []Violation
}

// Add records that field is invalid for reason.
func (v *Validation) Add(field, reason string) {
	v.Violations = append(v.Violations, Violation{field, reason})
}

// Addf records a formatted reason.
func (v *Validation) Addf(field, format string, args ...any) {
	v.Add(field, fmt.Sprintf(format, args...))
}

// Err returns v as an error, or nil when no field is invalid.
func (v *Validation) Err() error {
	if v == nil || len(v.Violations) == 0 {
		return nil
	}
	return v
}

func (v *Validation) Error() string {
	parts := make([]string, len(v.Violations))
	for i, x := range v.Violations {
		parts[i] = x.Field + ": " + x.Reason
	}
	return "invalid argument: " + strings.Join(parts, "; ")
}

// Is makes a Validation match InvalidArgument.
func (v *Validation) Is(target error) bool { return target == InvalidArgument }

// Field returns an InvalidArgument error about one field.
func Field(field, reason string) error {
	return &Validation{Violations: []Violation{{field, reason}}}
}

// KindOf returns the kind of err, or nil for an internal error.
func KindOf(err error) *Kind {
	for _, k := range []*Kind{InvalidArgument, NotFound, AlreadyExists, FailedPrecondition, Aborted,
		Unauthenticated, PermissionDenied, ResourceExhausted, Unavailable} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}
