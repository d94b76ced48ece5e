package esdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	eventstore "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/go-cmp/cmp"

	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/estest"
)

// fakeStore returns a store of namespace ns over a fresh fake server.
func fakeStore(t *testing.T, ns string, page int) (*Store, *fakeServer) {
	t.Helper()
	f := newFakeServer()
	s, err := newStore(f, Config{Namespace: ns, ReadPageSize: page}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, f
}

// TestContract_FakeServer runs the contract suite through the store's whole mapping against
// an in-memory server with EventStoreDB's behaviour, once with the default page size and once
// with pages of 2, so that every paging path of ReadAll and Head runs here, without a server.
func TestContract_FakeServer(t *testing.T) {
	for _, page := range []int{0, 2} {
		t.Run(fmt.Sprintf("ReadPageSize=%d", page), func(t *testing.T) {
			f := estest.Features{NoClaims: true, NoStoreWideEventIDs: true}
			if page == 2 {
				f.GapTestDuration = 300 * time.Millisecond
			}
			estest.RunWithFeatures(t, f, func(t *testing.T) es.Store {
				s, _ := fakeStore(t, "test", page)
				return s
			})
		})
	}
}

func TestExpectedRevision(t *testing.T) {
	tests := []struct {
		in   es.ExpectedVersion
		want eventstore.ExpectedRevision
	}{
		{es.Any, eventstore.Any{}},
		{es.StreamExists, eventstore.StreamExists{}},
		{es.NoStream, eventstore.NoStream{}},
		{es.Exact(0), eventstore.NoStream{}},
		{es.Exact(1), eventstore.Revision(0)},
		{es.Exact(42), eventstore.Revision(41)},
	}
	for _, tc := range tests {
		if got := expectedRevision(tc.in); got != tc.want {
			t.Errorf("expectedRevision(%v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestVersionAndRevision_AreOffByOne(t *testing.T) {
	for _, v := range []int64{1, 2, 1000, math.MaxInt64} {
		r := revision(v)
		if r.Value != uint64(v-1) {
			t.Fatalf("revision(%d) = %d", v, r.Value)
		}
		back, err := version(r.Value)
		if err != nil || back != v {
			t.Fatalf("version(revision(%d)) = %d, %v", v, back, err)
		}
	}
	if _, err := version(math.MaxInt64); err == nil {
		t.Fatal("version(MaxInt64) should not fit")
	}
}

func TestPosition_MapsCommitAndPrepare(t *testing.T) {
	p, err := position(eventstore.Position{Commit: 4096, Prepare: 4201})
	if err != nil || p != (es.Position{TxID: 4096, Global: 4201}) {
		t.Fatalf("position = %v, %v", p, err)
	}
	if back := allPosition(p); back != (eventstore.Position{Commit: 4096, Prepare: 4201}) {
		t.Fatalf("allPosition = %v", back)
	}
	// The es order (TxID, then Global) is $all's (commit, then prepare).
	a, _ := position(eventstore.Position{Commit: 10, Prepare: 30})
	b, _ := position(eventstore.Position{Commit: 20, Prepare: 15})
	if !a.Before(b) {
		t.Fatal("commit must order before prepare")
	}
	for _, missing := range []eventstore.Position{{Commit: math.MaxUint64, Prepare: math.MaxUint64}, {Commit: 1, Prepare: math.MaxInt64 + 1}} {
		if _, err := position(missing); !errors.Is(err, errNoPosition) {
			t.Fatalf("position(%v): %v, want errNoPosition", missing, err)
		}
	}
}

func TestMetadata_RoundTrips(t *testing.T) {
	full := es.Metadata{CorrelationID: "corr", CausationID: "cause", UserID: "u-1", TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", TraceState: "sf=1"}
	for _, tc := range []struct {
		meta   es.Metadata
		schema int
		offset int
	}{{full, 3, 2}, {es.Metadata{}, 1, 0}, {es.Metadata{UserID: "only"}, 7, 0}} {
		b, err := encodeMetadata(tc.meta, tc.schema, tc.offset)
		if err != nil {
			t.Fatal(err)
		}
		m, schema, offset := decodeMetadata(b)
		if diff := cmp.Diff(tc.meta, m); diff != "" || schema != tc.schema || offset != tc.offset {
			t.Errorf("round trip of %s: schema %d offset %d, metadata diff (-want +got):\n%s", b, schema, offset, diff)
		}
	}
	b, _ := encodeMetadata(full, 1, 0)
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"$correlationId", "$causationId", "userId", "traceparent", "tracestate", "schemaVersion"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("metadata %s lacks %q", b, k)
		}
	}
	if _, ok := keys["appendOffset"]; ok {
		t.Errorf("metadata %s has an offset of 0", b)
	}
}

func TestMetadata_ForeignMetadataDecodesLeniently(t *testing.T) {
	for _, raw := range []string{"", "not json", "[1,2]", `{"schemaVersion":-4,"appendOffset":-1}`, `{"$correlationId":"c"}`} {
		m, schema, offset := decodeMetadata([]byte(raw))
		if schema != 1 || offset != 0 {
			t.Errorf("decodeMetadata(%q) = schema %d offset %d, want 1 and 0", raw, schema, offset)
		}
		if raw == `{"$correlationId":"c"}` && m.CorrelationID != "c" {
			t.Errorf("decodeMetadata(%q) lost the correlation id", raw)
		}
	}
}

func TestCurrentVersion_ParsesTheClientsMessage(t *testing.T) {
	tests := []struct {
		msg  string
		want int64
	}{
		{"wrong expected version: expecting 'no_stream' but got '4'", 5},
		{"wrong expected version: expecting '1' but got 'no_stream'", 0},
		{"[ErrorCodeWrongExpectedVersion] an append request failed: wrong expected version: expecting 'any' but got '0'", 1},
		{"wrong expected version", -1},
		{"expecting '1' but got 'soon'", -1},
		{"expecting '1' but got '-3'", -1},
		{"expecting '1' but got '7", -1},
	}
	for _, tc := range tests {
		if got := currentVersion(tc.msg); got != tc.want {
			t.Errorf("currentVersion(%q) = %d, want %d", tc.msg, got, tc.want)
		}
	}
}

func TestTranslate_PassesOtherErrorsThrough(t *testing.T) {
	if translate(nil) != nil {
		t.Fatal("translate(nil) != nil")
	}
	plain := errors.New("boom")
	if got := translate(plain); got != plain {
		t.Fatalf("translate(plain) = %v", got)
	}
	unknown, _ := eventstore.FromError(plain) // an *eventstore.Error with ErrorCodeUnknown
	if got := translate(fmt.Errorf("wrapped: %w", unknown)); !errors.Is(got, plain) {
		t.Fatalf("translate(unknown) = %v, want it unchanged", got)
	}
}

func TestNamespace(t *testing.T) {
	ns := namespace("catalog")
	if got := ns.stream("product-1"); got != "catalog/product-1" {
		t.Fatalf("stream = %q", got)
	}
	if got := ns.snapshotStream("product-1"); got != "$snapshot-catalog/product-1" {
		t.Fatalf("snapshotStream = %q", got)
	}
	for name, want := range map[string]string{"catalog/product-1": "product-1", "catalog/a/b": "a/b", "catalogue/x": "", "product-1": "", "$snapshot-catalog/product-1": "", "$$catalog/x": ""} {
		got, ok := ns.streamID(name)
		if got != want || ok != (want != "") {
			t.Errorf("streamID(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	all := namespace("")
	if got, ok := all.streamID("catalog/product-1"); !ok || got != "catalog/product-1" {
		t.Errorf("the empty namespace sees %q as %q, %v", "catalog/product-1", got, ok)
	}
	if _, ok := all.streamID("$stats-1"); ok {
		t.Error("the empty namespace sees system streams")
	}
	if err := all.check("$ce-order"); !errors.Is(err, es.ErrInvalidArgument) {
		t.Errorf("check of a system stream id: %v", err)
	}
	if err := ns.check("$odd"); err != nil {
		t.Errorf("inside a namespace a '$' id is an ordinary stream: %v", err)
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{Config{Namespace: "catalog", ReadPageSize: 2}, true},
		{Config{ReadPageSize: MaxReadPageSize}, true},
		{Config{Namespace: "$catalog"}, false},
		{Config{Namespace: "a/b"}, false},
		{Config{ReadPageSize: 1}, false},
		{Config{ReadPageSize: -1}, false},
		{Config{ReadPageSize: MaxReadPageSize + 1}, false},
	} {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok || err != nil && !errors.Is(err, es.ErrInvalidArgument) {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tc.cfg, err, tc.ok)
		}
	}
	if _, err := New(nil, Config{}); !errors.Is(err, es.ErrInvalidArgument) {
		t.Errorf("New(nil) = %v", err)
	}
}

func TestDial_ParsesLazilyAndClosesOnce(t *testing.T) {
	if _, err := Dial("::not a url", Config{}); err == nil {
		t.Fatal("Dial of a bad connection string succeeded")
	}
	if _, err := Dial("esdb://127.0.0.1:2113?tls=false", Config{Namespace: "$x"}); !errors.Is(err, es.ErrInvalidArgument) {
		t.Fatalf("Dial with a bad namespace: %v", err)
	}
	s, err := Dial("esdb://127.0.0.1:1?tls=false", Config{Namespace: "catalog"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Namespace() != "catalog" {
		t.Fatalf("Namespace() = %q", s.Namespace())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDial_ReplacesAClientThatClosedItself(t *testing.T) {
	// No server listens on port 1: the first call's node discovery fails, after which the v4
	// client is closed for good. The store must try a fresh client on the next call.
	quiet := slog.New(slog.DiscardHandler)
	s, err := Dial("esdb://127.0.0.1:1?tls=false&maxDiscoverAttempts=1&discoveryInterval=1", Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	r := s.conn.(*redialConn)
	for i := range 3 {
		_, err := s.Head(t.Context())
		if err == nil || isClosedClient(err) {
			t.Fatalf("call %d: %v, want a failed discovery of a fresh client", i, err)
		}
	}
	r.mu.Lock()
	replaced := r.retired != nil
	r.mu.Unlock()
	if !replaced {
		t.Fatal("the dead client was not replaced")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadStream(t.Context(), "x", 1, 1); !errors.Is(err, errClosed) {
		t.Fatalf("a call after Close: %v, want errClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestClientLogger_MapsLevels(t *testing.T) {
	var buf bytes.Buffer
	log := clientLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log(eventstore.LogError, "unexpected exception: %v", "boom")
	log(eventstore.LogDebug, "connected to %s", "leader")
	out := buf.String()
	for _, want := range []string{"level=ERROR", `msg="unexpected exception: boom"`, "level=DEBUG", "component=eventstoredb-client"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}

func TestAppend_WritesTheMappedEvent(t *testing.T) {
	s, f := fakeStore(t, "ordering", 0)
	evs := []es.EventData{
		{Type: "storefront.ordering.v1.OrderPlaced", SchemaVersion: 2, Payload: []byte{0x0a, 0x01}, Metadata: es.Metadata{CorrelationID: "c-1", UserID: "u-1"}},
		{Type: "storefront.ordering.v1.OrderPaid"},
	}
	res, err := s.Append(t.Context(), "order-1", es.NoStream, evs)
	if err != nil {
		t.Fatal(err)
	}
	raw := f.rawStream("ordering/order-1")
	if len(raw) != 2 || !slices.Contains(f.streamNames(), "ordering/order-1") {
		t.Fatalf("server holds %d events in ordering/order-1 (streams %v)", len(raw), f.streamNames())
	}
	for i, e := range raw {
		if e.EventID != res.EventIDs[i] || e.EventType != evs[i].Type || !bytes.Equal(e.Data, evs[i].Payload) || e.EventNumber != uint64(i) {
			t.Errorf("record %d = %+v", i, e)
		}
		if p, _ := position(e.Position); p != res.Positions[i] {
			t.Errorf("record %d at %v, AppendResult says %v", i, p, res.Positions[i])
		}
	}
	m, schema, offset := decodeMetadata(raw[0].UserMetadata)
	if m.CorrelationID != "c-1" || m.UserID != "u-1" || schema != 2 || offset != 0 {
		t.Errorf("first event's metadata %s", raw[0].UserMetadata)
	}
	if _, schema, offset := decodeMetadata(raw[1].UserMetadata); schema != 1 || offset != 1 {
		t.Errorf("second event's metadata %s", raw[1].UserMetadata)
	}
}

func TestAppend_WithClaims_IsUnsupportedAndWritesNothing(t *testing.T) {
	s, f := fakeStore(t, "identity", 0)
	_, err := s.Append(t.Context(), "user-1", es.NoStream, []es.EventData{{Type: "t"}}, es.WithClaims(es.Claim{Scope: "user.email", Value: "ada@example.com"}))
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Append with a claim: %v, want errors.ErrUnsupported", err)
	}
	if raw := f.rawStream("identity/user-1"); len(raw) != 0 {
		t.Fatalf("a refused append wrote %d events", len(raw))
	}
	if _, ok := any(s).(es.ClaimReader); ok {
		t.Fatal("the store must not pretend to be an es.ClaimReader")
	}
	// Nothing is ever held, so releasing is a no-op that succeeds.
	if _, err := s.Append(t.Context(), "user-1", es.NoStream, []es.EventData{{Type: "t"}}, es.WithReleases(es.Claim{Scope: "user.email", Value: "ada@example.com"})); err != nil {
		t.Fatalf("Append with a release: %v", err)
	}
}

func TestAppend_ConcurrencyErrorCarriesTheServersVersion(t *testing.T) {
	s, _ := fakeStore(t, "cart", 0)
	if _, err := s.Append(t.Context(), "cart-1", es.Any, []es.EventData{{Type: "a"}, {Type: "b"}, {Type: "c"}}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(t.Context(), "cart-1", es.Exact(2), []es.EventData{{Type: "d"}})
	var ce *es.ConcurrencyError
	if !errors.As(err, &ce) || ce.Stream != "cart-1" || ce.Expected != es.Exact(2) || ce.Actual != 3 {
		t.Fatalf("error %#v, want a ConcurrencyError on cart-1 expecting 2 at 3", err)
	}
}

func TestEmptyNamespace_SeesEveryUserStreamButNoSystemOne(t *testing.T) {
	s, _ := fakeStore(t, "", 2)
	if _, err := s.Append(t.Context(), "$ce-order", es.Any, []es.EventData{{Type: "t"}}); !errors.Is(err, es.ErrInvalidArgument) {
		t.Fatalf("append to a system stream: %v", err)
	}
	if _, err := s.Append(t.Context(), "order-9", es.Any, []es.EventData{{Type: "$metadata"}}); !errors.Is(err, es.ErrInvalidArgument) {
		t.Fatalf("append of a system event type: %v", err)
	}
	if _, err := s.ReadStream(t.Context(), "$stats-0.0.0.0:2113", 1, 10); !errors.Is(err, es.ErrInvalidArgument) {
		t.Fatalf("read of a system stream: %v", err)
	}
	res, err := s.Append(t.Context(), "order-9", es.NoStream, []es.EventData{{Type: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSnapshot(t.Context(), es.Snapshot{StreamID: "order-9", Type: "snap", Version: 1}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadAll(t.Context(), es.Position{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var streams []string
	for _, e := range got {
		streams = append(streams, e.StreamID)
	}
	if want := []string{"other/order-1", "other/order-1", "legacy-1", "order-9"}; !slices.Equal(streams, want) {
		t.Fatalf("ReadAll streams %v, want %v", streams, want)
	}
	if got[2].SchemaVersion != 1 || got[2].Metadata != (es.Metadata{}) {
		t.Fatalf("an event with foreign metadata reads as %+v", got[2])
	}
	if head, err := s.Head(t.Context()); err != nil || head != res.Positions[0] {
		t.Fatalf("Head = %v, %v; want %v (system events after it do not count)", head, err, res.Positions[0])
	}
}

func TestRecordedAt_IsTheStampOfTheFirstEventOfTheAppend(t *testing.T) {
	s, f := fakeStore(t, "catalog", 0)
	if _, err := s.Append(t.Context(), "product-1", es.NoStream, []es.EventData{{Type: "a"}, {Type: "b"}, {Type: "c"}}); err != nil {
		t.Fatal(err)
	}
	raw := f.rawStream("catalog/product-1")
	if raw[0].CreatedDate.Equal(raw[2].CreatedDate) {
		t.Fatal("the fake should stamp the events of one append differently, as the server does")
	}
	want := raw[0].CreatedDate.Truncate(time.Microsecond)
	for _, read := range []func() ([]es.RecordedEvent, error){
		func() ([]es.RecordedEvent, error) { return s.ReadStream(t.Context(), "product-1", 2, 10) }, // without the first event
		func() ([]es.RecordedEvent, error) {
			return s.ReadStreamBackward(t.Context(), "product-1", es.StreamEnd, 1)
		}, // the last only
		func() ([]es.RecordedEvent, error) { return s.ReadStream(t.Context(), "product-1", 1, 10) },
		func() ([]es.RecordedEvent, error) { return s.ReadAll(t.Context(), es.Position{}, 10) },
	} {
		got, err := read()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range got {
			if !e.RecordedAt.Equal(want) || e.RecordedAt.Location() != time.UTC {
				t.Fatalf("version %d recorded at %v, want %v", e.Version, e.RecordedAt, want)
			}
		}
	}
}

func TestOldServerWithoutStreamPositions_FailsClearly(t *testing.T) {
	s, f := fakeStore(t, "catalog", 0)
	f.noStreamPositions = true
	_, err := s.Append(t.Context(), "product-1", es.NoStream, []es.EventData{{Type: "a"}})
	if !errors.Is(err, errNoPosition) || !strings.Contains(err.Error(), "22.6") {
		t.Fatalf("Append on an old server: %v", err)
	}
	if _, err := s.ReadStream(t.Context(), "product-1", 1, 10); !errors.Is(err, errNoPosition) {
		t.Fatalf("ReadStream on an old server: %v", err)
	}
}

func TestCancellationDuringACall_MatchesContextCanceled(t *testing.T) {
	s, f := fakeStore(t, "catalog", 0)
	ctx, cancel := context.WithCancel(t.Context())
	f.hook = func(context.Context) error {
		cancel()                                                                // the caller gives up while the call is in flight ...
		return errors.New("rpc error: code = Canceled desc = context canceled") // ... and gRPC says so its own way
	}
	calls := map[string]func() error{
		"Append":             func() error { _, err := s.Append(ctx, "p", es.Any, []es.EventData{{Type: "a"}}); return err },
		"ReadStream":         func() error { _, err := s.ReadStream(ctx, "p", 1, 1); return err },
		"ReadStreamBackward": func() error { _, err := s.ReadStreamBackward(ctx, "p", es.StreamEnd, 1); return err },
		"ReadAll":            func() error { _, err := s.ReadAll(ctx, es.Position{}, 1); return err },
		"Head":               func() error { _, err := s.Head(ctx); return err },
		"SaveSnapshot":       func() error { return s.SaveSnapshot(ctx, es.Snapshot{StreamID: "p", Type: "t", Version: 1}) },
		"LoadSnapshot":       func() error { _, err := s.LoadSnapshot(ctx, "p"); return err },
	}
	for name, call := range calls {
		ctx, cancel = context.WithCancel(t.Context())
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s cancelled in flight: %v, want an error matching context.Canceled", name, err)
		}
		cancel()
	}
}

func TestAppend_CommittedButCancelledDuringReadBack_ReportsSuccess(t *testing.T) {
	s, f := fakeStore(t, "catalog", 0)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f.hook = func(callCtx context.Context) error {
		cancel() // cancelled right after the append call started; the read-back runs detached
		return nil
	}
	// The fake checks ctx after the hook, so the append itself fails: nothing committed.
	if _, err := s.Append(ctx, "p", es.Any, []es.EventData{{Type: "a"}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append cancelled before commit: %v", err)
	}
	if raw := f.rawStream("catalog/p"); len(raw) != 0 {
		t.Fatalf("a cancelled append wrote %d events", len(raw))
	}

	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	calls := 0
	f.hook = func(context.Context) error {
		if calls++; calls == 2 {
			cancel() // the append committed; the caller gives up before the read-back
		}
		return nil
	}
	res, err := s.Append(ctx, "p", es.Any, []es.EventData{{Type: "a"}})
	if err != nil || res.NextVersion != 1 || len(res.Positions) != 1 {
		t.Fatalf("Append whose caller gave up after the commit = %+v, %v; want its result", res, err)
	}
}

func TestSnapshots_LiveInACappedSystemStream(t *testing.T) {
	s, f := fakeStore(t, "cart", 0)
	for _, v := range []int64{3, 5, 4} {
		if err := s.SaveSnapshot(t.Context(), es.Snapshot{StreamID: "cart-1", Type: "storefront.cart.v1.CartState", Version: v, Payload: []byte{byte(v)}}); err != nil {
			t.Fatal(err)
		}
	}
	raw := f.rawStream("$snapshot-cart/cart-1")
	if len(raw) != 2 {
		t.Fatalf("snapshot stream holds %d events, want 2 (the older 4 is not written)", len(raw))
	}
	if f.maxCount["$snapshot-cart/cart-1"] != 1 {
		t.Fatalf("snapshot stream $maxCount = %d, want 1", f.maxCount["$snapshot-cart/cart-1"])
	}
	got, err := s.LoadSnapshot(t.Context(), "cart-1")
	if err != nil || got.Version != 5 || !bytes.Equal(got.Payload, []byte{5}) || got.Type != "storefront.cart.v1.CartState" {
		t.Fatalf("LoadSnapshot = %+v, %v", got, err)
	}
	if all, _ := s.ReadAll(t.Context(), es.Position{}, 100); len(all) != 0 {
		t.Fatalf("snapshots appear in ReadAll: %d events", len(all))
	}
}

func TestSaveSnapshot_RetriesWhenAnotherSaverWinsTheRace(t *testing.T) {
	s, f := fakeStore(t, "cart", 0)
	other, err := newStore(f, Config{Namespace: "cart"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSnapshot(t.Context(), es.Snapshot{StreamID: "cart-1", Type: "t", Version: 1}); err != nil {
		t.Fatal(err)
	}
	raced, calls := false, 0
	f.hook = func(ctx context.Context) error {
		if calls++; calls == 2 {
			// Between this saver's read (call 1) and its append (call 2), another saves 9.
			raced, f.hook = true, nil
			return other.SaveSnapshot(ctx, es.Snapshot{StreamID: "cart-1", Type: "t", Version: 9})
		}
		return nil
	}
	if err := s.SaveSnapshot(t.Context(), es.Snapshot{StreamID: "cart-1", Type: "t", Version: 7}); err != nil {
		t.Fatal(err)
	}
	if !raced {
		t.Fatal("the race was not staged")
	}
	if got, err := s.LoadSnapshot(t.Context(), "cart-1"); err != nil || got.Version != 9 {
		t.Fatalf("LoadSnapshot = %+v, %v; want the racing saver's version 9 kept", got, err)
	}
}
