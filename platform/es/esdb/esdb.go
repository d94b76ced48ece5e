package esdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	eventstore "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/es"
)

// Defaults and bounds of Config.
const (
	DefaultReadPageSize = 512
	// MaxReadPageSize is the largest page EventStoreDB serves in one read.
	MaxReadPageSize = 4096
)

// readBackTimeout bounds the read that follows a committed append to learn its positions. It
// runs detached from the caller's cancellation so that a committed append reports success.
const readBackTimeout = 10 * time.Second

// Config tunes a Store. The zero value is valid: no namespace, default page size.
type Config struct {
	// Namespace isolates the store's streams on a server it shares: stream "x" is stored as
	// "<Namespace>/x", and ReadAll and Head see only the namespace. It must not begin with '$'
	// nor contain '/'. Empty means the whole server (every non-system stream).
	Namespace string
	// ReadPageSize is how many $all events ReadAll and Head fetch per request while skipping
	// events outside the namespace. Zero means DefaultReadPageSize; otherwise 2 to
	// MaxReadPageSize.
	ReadPageSize int
	// Logger receives the log lines of the client that Dial creates. Nil means slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.ReadPageSize == 0 {
		c.ReadPageSize = DefaultReadPageSize
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports the first invalid field, as an error matching es.ErrInvalidArgument.
func (c Config) Validate() error {
	switch {
	case strings.HasPrefix(c.Namespace, "$") || strings.Contains(c.Namespace, "/"):
		return fmt.Errorf("%w: esdb namespace %q must not begin with '$' nor contain '/'", es.ErrInvalidArgument, c.Namespace)
	case c.ReadPageSize != 0 && (c.ReadPageSize < 2 || c.ReadPageSize > MaxReadPageSize):
		return fmt.Errorf("%w: esdb read page size %d, want 2 to %d", es.ErrInvalidArgument, c.ReadPageSize, MaxReadPageSize)
	}
	return nil
}

// Store is the event store of one namespace of an EventStoreDB server. It is safe for
// concurrent use. See the package documentation for how it maps es onto EventStoreDB and
// what it cannot do.
type Store struct {
	conn   conn
	ns     namespace
	page   int
	closer func() error
}

var (
	_ es.Store         = (*Store)(nil)
	_ es.SnapshotStore = (*Store)(nil)
)

// New returns a store that talks through client, which stays the caller's to close.
func New(client *eventstore.Client, cfg Config) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil EventStoreDB client", es.ErrInvalidArgument)
	}
	return newStore(clientConn{client}, cfg, nil)
}

// Dial parses an EventStoreDB connection string ("esdb://host:2113?tls=false", see the
// client's documentation), creates a client and returns a store over it; Close closes the
// client. Connections are made lazily, by the first call. Unlike a store made by New, it
// replaces its client when the client closes itself after failing to find a node, so the
// store recovers when the server comes back.
func Dial(connectionString string, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	conf, err := eventstore.ParseConnectionString(connectionString)
	if err != nil {
		return nil, fmt.Errorf("esdb: connection string: %w", err)
	}
	conf.Logger = clientLogger(cfg.Logger)
	r, err := newRedialConn(conf)
	if err != nil {
		return nil, fmt.Errorf("esdb: new client: %w", err)
	}
	return newStore(r, cfg, r.close)
}

func newStore(c conn, cfg Config, closer func() error) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	return &Store{conn: c, ns: namespace(cfg.Namespace), page: cfg.ReadPageSize, closer: closer}, nil
}

// Close closes the client if Dial created it; a store made by New leaves its client alone.
// Calling it again does nothing.
func (s *Store) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer()
}

// Namespace returns the namespace the store works in.
func (s *Store) Namespace() string { return string(s.ns) }

// clientLogger routes the client's log lines to l.
func clientLogger(l *slog.Logger) eventstore.LoggingFunc {
	return func(level eventstore.LogLevel, format string, args ...any) {
		lvl := slog.LevelDebug
		switch level {
		case eventstore.LogInfo:
			lvl = slog.LevelInfo
		case eventstore.LogWarn:
			lvl = slog.LevelWarn
		case eventstore.LogError:
			lvl = slog.LevelError
		}
		l.Log(context.Background(), lvl, fmt.Sprintf(format, args...), "component", "eventstoredb-client")
	}
}

// fail wraps the error of a call, preferring the context's error when ctx ended: the client
// reports a cancelled call as a gRPC status, which does not match context.Canceled.
func fail(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("esdb: %s: %w", op, ctxErr)
	}
	return fmt.Errorf("esdb: %s: %w", op, err)
}

// Append implements es.Appender. Claims are not supported (errors.ErrUnsupported) and
// releases do nothing; ids are checked for duplicates within the append only. See the package
// documentation.
func (s *Store) Append(ctx context.Context, stream string, expected es.ExpectedVersion, events []es.EventData, opts ...es.AppendOption) (es.AppendResult, error) {
	req, err := es.NewAppendRequest(stream, expected, events, opts...)
	if err != nil {
		return es.AppendResult{}, err
	}
	if err := s.ns.check(stream); err != nil {
		return es.AppendResult{}, err
	}
	seen := make(map[uuid.UUID]bool, len(req.Events))
	for i, e := range req.Events {
		if strings.HasPrefix(e.Type, "$") {
			return es.AppendResult{}, fmt.Errorf("%w: stream %q: event %d has type %q; types beginning with '$' are EventStoreDB's", es.ErrInvalidArgument, stream, i, e.Type)
		}
		if seen[e.ID] {
			return es.AppendResult{}, fmt.Errorf("esdb: append to %q: event %v twice: %w", stream, e.ID, es.ErrDuplicateEventID)
		}
		seen[e.ID] = true
	}
	if err := ctx.Err(); err != nil {
		return es.AppendResult{}, fmt.Errorf("esdb: append to %q: %w", stream, err)
	}
	if len(req.Claims) > 0 {
		return es.AppendResult{}, fmt.Errorf("esdb: append to %q: uniqueness claims must commit with the events, which EventStoreDB cannot do across streams: %w", stream, errors.ErrUnsupported)
	}
	data := make([]eventstore.EventData, len(req.Events))
	for i, e := range req.Events {
		meta, err := encodeMetadata(e.Metadata, e.SchemaVersion, i)
		if err != nil {
			return es.AppendResult{}, err
		}
		data[i] = eventstore.EventData{EventID: e.ID, EventType: e.Type, ContentType: eventstore.ContentTypeBinary, Data: e.Payload, Metadata: meta}
	}

	name := s.ns.stream(stream)
	last, err := s.conn.appendEvents(ctx, name, expectedRevision(expected), data)
	var wrong *wrongVersionError
	if errors.As(err, &wrong) {
		return es.AppendResult{}, &es.ConcurrencyError{Stream: stream, Expected: expected, Actual: wrong.current}
	}
	if err != nil {
		return es.AppendResult{}, fail(ctx, fmt.Sprintf("append to %q", stream), err)
	}
	return s.readBack(ctx, stream, name, last, req.Events)
}

// readBack reads the events an append wrote, ending at revision last, for their positions.
func (s *Store) readBack(ctx context.Context, stream, name string, last uint64, events []es.EventData) (es.AppendResult, error) {
	n := uint64(len(events))
	if last+1 < n {
		return es.AppendResult{}, fmt.Errorf("esdb: append to %q: the server reported revision %d after %d events", stream, last, n)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	got, err := s.conn.read(ctx, name, eventstore.Revision(last+1-n), false, n)
	if err != nil {
		return es.AppendResult{}, fail(ctx, fmt.Sprintf("append to %q: read the appended events", stream), err)
	}
	res := es.AppendResult{EventIDs: make([]uuid.UUID, len(events)), Positions: make([]es.Position, len(events))}
	if len(got) != len(events) {
		return es.AppendResult{}, fmt.Errorf("esdb: append to %q: read %d of the %d appended events back", stream, len(got), len(events))
	}
	for i := range got {
		if got[i].EventID != events[i].ID {
			return es.AppendResult{}, fmt.Errorf("esdb: append to %q: revision %d holds event %v, not the appended %v", stream, got[i].EventNumber, got[i].EventID, events[i].ID)
		}
		pos, err := position(got[i].Position)
		if err != nil {
			return es.AppendResult{}, fmt.Errorf("esdb: append to %q: %w", stream, err)
		}
		res.EventIDs[i], res.Positions[i] = events[i].ID, pos
	}
	if res.NextVersion, err = version(last); err != nil {
		return es.AppendResult{}, err
	}
	return res, nil
}

// ReadStream implements es.StreamReader.
func (s *Store) ReadStream(ctx context.Context, stream string, from int64, max int) ([]es.RecordedEvent, error) {
	return s.readStream(ctx, stream, from, max, false)
}

// ReadStreamBackward implements es.StreamReader.
func (s *Store) ReadStreamBackward(ctx context.Context, stream string, from int64, max int) ([]es.RecordedEvent, error) {
	return s.readStream(ctx, stream, from, max, true)
}

func (s *Store) readStream(ctx context.Context, stream string, from int64, max int, backwards bool) ([]es.RecordedEvent, error) {
	if err := es.CheckRead(stream, from, max); err != nil {
		return nil, err
	}
	if err := s.ns.check(stream); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("esdb: read %q: %w", stream, err)
	}
	name := s.ns.stream(stream)
	var start eventstore.StreamPosition = revision(from)
	if backwards && from == es.StreamEnd {
		start = eventstore.End{}
	}
	raw, err := s.conn.read(ctx, name, start, backwards, uint64(max))
	if backwards && err == nil && len(raw) == 0 && from != es.StreamEnd {
		// EventStoreDB reads backwards from a revision past the stream's end as the window
		// [from-max, from], which may miss the stream entirely; read from its end instead.
		raw, err = s.conn.read(ctx, name, eventstore.End{}, true, uint64(max))
	}
	if errors.Is(err, errStreamNotFound) {
		return []es.RecordedEvent{}, nil
	}
	if err != nil {
		return nil, fail(ctx, fmt.Sprintf("read %q", stream), err)
	}
	out := make([]decoded, 0, len(raw))
	for i := range raw {
		d, err := decode(stream, &raw[i])
		if err != nil {
			return nil, err
		}
		if backwards && d.Version > from {
			continue
		}
		out = append(out, d)
	}
	return s.finish(ctx, out)
}

// ReadAll implements es.LogReader. It reads $all forwards in pages and keeps the namespace's
// events, skipping system streams and system event types.
func (s *Store) ReadAll(ctx context.Context, after es.Position, max int) ([]es.RecordedEvent, error) {
	if err := es.CheckReadAll(after, max); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("esdb: read all: %w", err)
	}
	var from eventstore.AllPosition = eventstore.Start{}
	if !after.IsZero() {
		from = allPosition(after)
	}
	cursor := after
	var out []decoded
	for len(out) < max {
		page, err := s.conn.readAll(ctx, from, false, uint64(s.page))
		if err != nil {
			return nil, fail(ctx, "read all", err)
		}
		advanced := false
		for i := range page {
			e := &page[i]
			pos, err := position(e.Position)
			if err != nil {
				return nil, err
			}
			if !cursor.Before(pos) {
				continue // $all reads include their starting position
			}
			cursor, advanced = pos, true
			id, ok := s.owns(e)
			if !ok {
				continue
			}
			d, err := decode(id, e)
			if err != nil {
				return nil, err
			}
			if out = append(out, d); len(out) == max {
				break
			}
		}
		if len(page) < s.page {
			break // the end of the log
		}
		if !advanced {
			return nil, fmt.Errorf("esdb: read all: a page of $all from %v made no progress", cursor)
		}
		from = allPosition(cursor)
	}
	return s.finish(ctx, out)
}

// Head implements es.LogReader: it reads $all backwards from its end to the namespace's last
// event.
func (s *Store) Head(ctx context.Context) (es.Position, error) {
	if err := ctx.Err(); err != nil {
		return es.Position{}, fmt.Errorf("esdb: head: %w", err)
	}
	var from eventstore.AllPosition = eventstore.End{}
	var cursor es.Position
	started := false
	for {
		page, err := s.conn.readAll(ctx, from, true, uint64(s.page))
		if err != nil {
			return es.Position{}, fail(ctx, "head", err)
		}
		advanced := false
		for i := range page {
			pos, err := position(page[i].Position)
			if err != nil {
				return es.Position{}, err
			}
			if started && !pos.Before(cursor) {
				continue
			}
			cursor, started, advanced = pos, true, true
			if _, ok := s.owns(&page[i]); ok {
				return pos, nil
			}
		}
		if len(page) < s.page {
			return es.Position{}, nil // the start of the log
		}
		if !advanced {
			return es.Position{}, fmt.Errorf("esdb: head: a page of $all before %v made no progress", cursor)
		}
		from = allPosition(cursor)
	}
}

// owns returns the stream id of an event of $all if it belongs to the store.
func (s *Store) owns(e *eventstore.RecordedEvent) (string, bool) {
	if strings.HasPrefix(e.EventType, "$") {
		return "", false
	}
	return s.ns.streamID(e.StreamID)
}

// finish gives every event the recording time of the first event of its append, reading that
// event when the batch lacks it, and returns the events.
func (s *Store) finish(ctx context.Context, evs []decoded) ([]es.RecordedEvent, error) {
	type key struct {
		name     string
		revision uint64
	}
	firsts := make(map[key]time.Time)
	for _, d := range evs {
		if d.offset == 0 {
			firsts[key{d.name, d.revision}] = d.RecordedAt
		}
	}
	out := make([]es.RecordedEvent, len(evs))
	for i, d := range evs {
		if d.offset > 0 && uint64(d.offset) <= d.revision {
			k := key{d.name, d.revision - uint64(d.offset)}
			at, ok := firsts[k]
			if !ok {
				first, err := s.conn.read(ctx, k.name, eventstore.Revision(k.revision), false, 1)
				switch {
				case err == nil && len(first) == 1 && first[0].EventNumber == k.revision:
					at = recordedAt(first[0].CreatedDate)
				case err == nil || errors.Is(err, errStreamNotFound):
					at = d.RecordedAt // the first event is gone (truncated): keep the own stamp
				default:
					return nil, fail(ctx, fmt.Sprintf("read %q at revision %d", k.name, k.revision), err)
				}
				firsts[k] = at
			}
			d.RecordedAt = at
		}
		out[i] = d.RecordedEvent
	}
	return out, nil
}
