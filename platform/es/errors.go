package es

import (
	"errors"
	"fmt"
)

var (
	// ErrConcurrency means the stream's version was not the expected one: another writer got
	// there first. Nothing of the append was written. Reload and retry, or report it
	// (services map it to gRPC Aborted). The error is a *ConcurrencyError.
	ErrConcurrency = errors.New("es: concurrency conflict")

	// ErrDuplicate means a uniqueness claim of the append is held by another stream. Nothing
	// of the append was written. The error is a *DuplicateError naming the scope.
	ErrDuplicate = errors.New("es: value already claimed")

	// ErrDuplicateEventID means an appended event's id is already in the store (or twice in
	// the batch). Nothing of the append was written.
	ErrDuplicateEventID = errors.New("es: duplicate event id")

	// ErrInvalidArgument means a call was malformed (empty stream id, no events, a
	// non-positive limit...). It is a programming error, never a conflict.
	ErrInvalidArgument = errors.New("es: invalid argument")

	// ErrNoClaim means no stream holds the value asked about.
	ErrNoClaim = errors.New("es: value not claimed")

	// ErrNoSnapshot means the stream has no snapshot; load it from its first event.
	ErrNoSnapshot = errors.New("es: no snapshot")
)

// ConcurrencyError reports an expected-version mismatch. errors.Is(err, ErrConcurrency)
// matches it.
type ConcurrencyError struct {
	Stream   string
	Expected ExpectedVersion
	// Actual is the stream's version when the append was attempted, or -1 when the store
	// could not tell (a conflict detected by a constraint rather than by the version check).
	Actual int64
}

// Error names the stream and both versions.
func (e *ConcurrencyError) Error() string {
	if e.Actual < 0 {
		return fmt.Sprintf("es: concurrency conflict on stream %q: expected version %s", e.Stream, e.Expected)
	}
	return fmt.Sprintf("es: concurrency conflict on stream %q: expected version %s, stream is at %d", e.Stream, e.Expected, e.Actual)
}

// Is makes errors.Is(err, ErrConcurrency) true.
func (e *ConcurrencyError) Is(target error) bool { return target == ErrConcurrency }

// DuplicateError reports a claim held by another stream. errors.Is(err, ErrDuplicate)
// matches it. Its message names the scope but not the value, which may be personal data
// (an e-mail address) that must not reach logs.
type DuplicateError struct {
	Scope string
	Value string
}

// Error names the scope only.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("es: a value in scope %q is already claimed by another stream", e.Scope)
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}
