package es_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/storefront/storefront/platform/es"
)

func TestPosition_StringSortsLikeThePosition(t *testing.T) {
	ps := []es.Position{{}, {TxID: 1, Global: 9}, {TxID: 1, Global: 10}, {TxID: 2, Global: 3}, {TxID: 16, Global: 1}, {TxID: 1 << 40, Global: 1 << 50}}
	for i := 1; i < len(ps); i++ {
		a, b := ps[i-1], ps[i]
		if !a.Before(b) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
			t.Fatalf("%v vs %v: wrong order", a, b)
		}
		if a.String() >= b.String() {
			t.Fatalf("%q sorts after %q", a, b)
		}
	}
	for _, p := range ps {
		got, err := es.ParsePosition(p.String())
		if err != nil || got != p {
			t.Fatalf("ParsePosition(%q) = %v, %v; want %v", p, got, err, p)
		}
	}
}

func TestPosition_JSONRoundTrip(t *testing.T) {
	in := struct{ At es.Position }{es.Position{TxID: 751, Global: 1234}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"At":"00000000000002ef-00000000000004d2"}`; string(b) != want {
		t.Fatalf("JSON %s, want %s", b, want)
	}
	var out struct{ At es.Position }
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip gave %v, %v", out, err)
	}
}

func TestParsePosition_RejectsMalformedInput(t *testing.T) {
	if p, err := es.ParsePosition(""); err != nil || !p.IsZero() {
		t.Fatalf(`ParsePosition("") = %v, %v; want the zero position`, p, err)
	}
	for _, s := range []string{"1-2", "00000000000002ef", "00000000000002EF-00000000000004d2", "+0000000000002ef-00000000000004d2", "ffffffffffffffff-0000000000000001", "00000000000002ef:00000000000004d2"} {
		if _, err := es.ParsePosition(s); !errors.Is(err, es.ErrInvalidArgument) {
			t.Errorf("ParsePosition(%q): %v, want ErrInvalidArgument", s, err)
		}
	}
}

func TestExpectedVersion(t *testing.T) {
	tests := []struct {
		v       es.ExpectedVersion
		name    string
		matches []int64 // of actual versions 0..3
	}{
		{es.Any, "any", []int64{0, 1, 2, 3}},
		{es.NoStream, "no-stream", []int64{0}},
		{es.StreamExists, "stream-exists", []int64{1, 2, 3}},
		{es.Exact(2), "2", []int64{2}},
		{es.Exact(-1), "invalid", nil},
	}
	for _, tc := range tests {
		var got []int64
		for actual := range int64(4) {
			if tc.v.Matches(actual) {
				got = append(got, actual)
			}
		}
		if tc.v.String() != tc.name || !slices.Equal(got, tc.matches) || tc.v.Valid() != (tc.name != "invalid") {
			t.Errorf("%s: String %q, matches %v, valid %v", tc.name, tc.v, got, tc.v.Valid())
		}
	}
}

func TestNewAppendRequest_CompletesEventsWithoutTouchingTheCallers(t *testing.T) {
	mine := uuid.MustParse("0190e4c2-7b4a-7000-8000-000000000001")
	events := []es.EventData{{Type: "a"}, {ID: mine, Type: "b", SchemaVersion: 3, Payload: []byte("x")}}
	req, err := es.NewAppendRequest("s", es.Any, events, es.WithClaims(es.Claim{Scope: "x", Value: "1"}), es.WithReleases(es.Claim{Scope: "x", Value: "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if e := req.Events[0]; e.ID.Version() != 7 || e.SchemaVersion != 1 || e.Payload == nil {
		t.Errorf("first event %+v: want a UUIDv7, schema version 1 and an empty payload", e)
	}
	if e := req.Events[1]; e.ID != mine || e.SchemaVersion != 3 {
		t.Errorf("second event %+v: want its own id and schema version", e)
	}
	if events[0].ID != uuid.Nil || events[0].SchemaVersion != 0 {
		t.Errorf("the caller's slice was modified: %+v", events[0])
	}
	if len(req.Claims) != 1 || len(req.Releases) != 1 {
		t.Errorf("options: %+v", req.AppendOptions)
	}
}

func TestErrors_NameTheirTarget(t *testing.T) {
	c := error(&es.ConcurrencyError{Stream: "order-1", Expected: es.Exact(3), Actual: 4})
	if !errors.Is(c, es.ErrConcurrency) || !strings.Contains(c.Error(), `"order-1"`) {
		t.Errorf("concurrency error %q", c)
	}
	d := error(&es.DuplicateError{Scope: "user.email", Value: "ada@example.com"})
	if !errors.Is(d, es.ErrDuplicate) || !strings.Contains(d.Error(), "user.email") || strings.Contains(d.Error(), "ada@") {
		t.Errorf("duplicate error %q: want the scope named and the value kept out", d)
	}
}
