package es

import (
	"fmt"
	"math"
)

// ExpectedVersion is what an appender believes the stream's current version to be; the
// append fails with ErrConcurrency when the belief is wrong. Use Any, NoStream, StreamExists
// or Exact(n).
type ExpectedVersion int64

const (
	// Any appends whatever the stream's version.
	Any ExpectedVersion = -1
	// StreamExists appends only to a stream that already holds at least one event.
	StreamExists ExpectedVersion = -2
	// NoStream appends only to a stream that holds no events yet. It equals Exact(0).
	NoStream ExpectedVersion = 0
)

// Exact expects the stream's current version to be n: the version of its last event, as
// returned by the previous append (AppendResult.NextVersion) or the last event read. Exact(0)
// is NoStream. A negative n is rejected by Append with ErrInvalidArgument.
func Exact(n int64) ExpectedVersion {
	if n < 0 {
		return ExpectedVersion(math.MinInt64)
	}
	return ExpectedVersion(n)
}

// Valid reports whether v is Any, StreamExists or Exact(n ≥ 0).
func (v ExpectedVersion) Valid() bool { return v >= StreamExists }

// Matches reports whether a stream whose current version is actual satisfies v.
func (v ExpectedVersion) Matches(actual int64) bool {
	switch {
	case v == Any:
		return true
	case v == StreamExists:
		return actual > 0
	default:
		return int64(v) == actual
	}
}

// String returns "any", "stream-exists", "no-stream" or the exact version.
func (v ExpectedVersion) String() string {
	switch {
	case v == Any:
		return "any"
	case v == StreamExists:
		return "stream-exists"
	case v == NoStream:
		return "no-stream"
	case v.Valid():
		return fmt.Sprintf("%d", int64(v))
	default:
		return "invalid"
	}
}

// StreamEnd, as the fromVersion of ReadStreamBackward, starts at the stream's last event.
const StreamEnd int64 = math.MaxInt64
