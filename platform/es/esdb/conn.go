package esdb

import (
	"context"
	"errors"
	"io"
	"sync"

	eventstore "github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// errStreamNotFound means the stream holds no event.
var errStreamNotFound = errors.New("esdb: stream not found")

// wrongVersionError is a failed expected-revision check. current is the stream's version
// (revision + 1, 0 for no stream), or -1 when the server's answer did not say.
type wrongVersionError struct {
	current int64
	err     error
}

func (e *wrongVersionError) Error() string { return e.err.Error() }
func (e *wrongVersionError) Unwrap() error { return e.err }

// conn is what the store asks of EventStoreDB: four calls, with results as slices and the
// errors that matter translated to errStreamNotFound and *wrongVersionError. clientConn
// implements it with the v4 client; the package's tests implement it in memory.
type conn interface {
	// appendEvents appends to stream and returns the revision of its last event.
	appendEvents(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (uint64, error)
	// read returns at most count events of stream from from, forwards or backwards.
	read(ctx context.Context, stream string, from eventstore.StreamPosition, backwards bool, count uint64) ([]eventstore.RecordedEvent, error)
	// readAll returns at most count events of $all from from: forwards from and including
	// from, or backwards from before it.
	readAll(ctx context.Context, from eventstore.AllPosition, backwards bool, count uint64) ([]eventstore.RecordedEvent, error)
	// setMaxCount caps the number of events the stream keeps.
	setMaxCount(ctx context.Context, stream string, max uint64) error
}

// clientConn is conn over the v4 client.
type clientConn struct{ c *eventstore.Client }

func (c clientConn) appendEvents(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (uint64, error) {
	res, err := c.c.AppendToStream(ctx, stream, eventstore.AppendToStreamOptions{ExpectedRevision: expected}, events...)
	if err != nil {
		return 0, translate(err)
	}
	return res.NextExpectedVersion, nil
}

func (c clientConn) read(ctx context.Context, stream string, from eventstore.StreamPosition, backwards bool, count uint64) ([]eventstore.RecordedEvent, error) {
	rs, err := c.c.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: direction(backwards), From: from}, count)
	if err != nil {
		return nil, translate(err)
	}
	return drain(rs)
}

func (c clientConn) readAll(ctx context.Context, from eventstore.AllPosition, backwards bool, count uint64) ([]eventstore.RecordedEvent, error) {
	rs, err := c.c.ReadAll(ctx, eventstore.ReadAllOptions{Direction: direction(backwards), From: from}, count)
	if err != nil {
		return nil, translate(err)
	}
	return drain(rs)
}

func (c clientConn) setMaxCount(ctx context.Context, stream string, max uint64) error {
	var m eventstore.StreamMetadata
	m.SetMaxCount(max)
	_, err := c.c.SetStreamMetadata(ctx, stream, eventstore.AppendToStreamOptions{ExpectedRevision: eventstore.Any{}}, m)
	return translate(err)
}

func direction(backwards bool) eventstore.Direction {
	if backwards {
		return eventstore.Backwards
	}
	return eventstore.Forwards
}

// drain reads a read stream to its end and closes it.
func drain(rs *eventstore.ReadStream) ([]eventstore.RecordedEvent, error) {
	defer rs.Close()
	var out []eventstore.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, translate(err)
		}
		if e := ev.OriginalEvent(); e != nil {
			out = append(out, *e)
		}
	}
}

// translate turns the client errors the store acts on into errStreamNotFound and
// *wrongVersionError, and returns any other error as it is.
func translate(err error) error {
	var e *eventstore.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	switch e.Code() {
	case eventstore.ErrorCodeWrongExpectedVersion:
		return &wrongVersionError{current: currentVersion(e.Error()), err: err}
	case eventstore.ErrorCodeResourceNotFound:
		return errStreamNotFound
	default:
		return err
	}
}

// errClosed is the error of a call on a store after Close.
var errClosed = errors.New("esdb: store closed")

// redialConn is the conn of a store that Dial made. The v4 client closes itself for good when
// it fails to discover a node (the server was down at the first call, or a cluster had no
// leader for longer than the discovery attempts last), and every later call fails with
// ErrorCodeConnectionClosed. redialConn then replaces the client and retries the call once on
// the new one, which is safe: a closed client fails before it sends anything.
type redialConn struct {
	conf eventstore.Configuration // each client gets a copy

	mu      sync.Mutex
	client  *eventstore.Client
	retired *eventstore.Client // the last replaced client, closed at the next replacement or Close
	closed  bool
}

func newRedialConn(conf *eventstore.Configuration) (*redialConn, error) {
	r := &redialConn{conf: *conf}
	c, err := r.newClient()
	if err != nil {
		return nil, err
	}
	r.client = c
	return r, nil
}

func (r *redialConn) newClient() (*eventstore.Client, error) {
	conf := r.conf
	return eventstore.NewClient(&conf)
}

func (r *redialConn) current() (*eventstore.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errClosed
	}
	return r.client, nil
}

// replace swaps dead for a new client unless another call did already, and returns the
// client to retry with. The replaced client is closed one replacement later, when no call
// can still be handing it a request: closing it at once could race such a call.
func (r *redialConn) replace(dead *eventstore.Client) (*eventstore.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errClosed
	}
	if r.client != dead {
		return r.client, nil
	}
	c, err := r.newClient()
	if err != nil {
		return nil, err
	}
	if r.retired != nil {
		_ = r.retired.Close()
	}
	r.retired, r.client = dead, c
	return c, nil
}

func (r *redialConn) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	for _, c := range []*eventstore.Client{r.retired, r.client} {
		if c != nil {
			_ = c.Close()
		}
	}
	return nil
}

// isClosedClient reports whether err says the client closed itself.
func isClosedClient(err error) bool {
	var e *eventstore.Error
	return errors.As(err, &e) && e.Code() == eventstore.ErrorCodeConnectionClosed
}

// redial runs call on the current client, and once more on a new client if that one had
// closed itself.
func redial[T any](r *redialConn, call func(clientConn) (T, error)) (T, error) {
	c, err := r.current()
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := call(clientConn{c})
	if !isClosedClient(err) {
		return v, err
	}
	if c, err = r.replace(c); err != nil {
		var zero T
		return zero, err
	}
	return call(clientConn{c})
}

func (r *redialConn) appendEvents(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) (uint64, error) {
	return redial(r, func(c clientConn) (uint64, error) { return c.appendEvents(ctx, stream, expected, events) })
}

func (r *redialConn) read(ctx context.Context, stream string, from eventstore.StreamPosition, backwards bool, count uint64) ([]eventstore.RecordedEvent, error) {
	return redial(r, func(c clientConn) ([]eventstore.RecordedEvent, error) {
		return c.read(ctx, stream, from, backwards, count)
	})
}

func (r *redialConn) readAll(ctx context.Context, from eventstore.AllPosition, backwards bool, count uint64) ([]eventstore.RecordedEvent, error) {
	return redial(r, func(c clientConn) ([]eventstore.RecordedEvent, error) { return c.readAll(ctx, from, backwards, count) })
}

func (r *redialConn) setMaxCount(ctx context.Context, stream string, max uint64) error {
	_, err := redial(r, func(c clientConn) (struct{}, error) { return struct{}{}, c.setMaxCount(ctx, stream, max) })
	return err
}
