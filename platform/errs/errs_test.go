package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	var v Validation
	v.Add("email", "is not an email address")
	tests := []struct {
		err  error
		want *Kind
	}{
		{fmt.Errorf("%w: order 7 is shipped", FailedPrecondition), FailedPrecondition},
		{fmt.Errorf("cancel: %w", fmt.Errorf("%w: no order 7", NotFound)), NotFound},
		{v.Err(), InvalidArgument},
		{fmt.Errorf("register: %w", Field("password", "too short")), InvalidArgument},
		{errors.New("connection reset"), nil},
	}
	for _, tt := range tests {
		if got := KindOf(tt.err); got != tt.want {
			t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	var empty Validation
	if empty.Err() != nil {
		t.Error("an empty Validation is an error")
	}
}
