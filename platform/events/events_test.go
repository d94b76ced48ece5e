package events

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/storefront/storefront/platform/es"
)

func TestEncodeDecode_RoundTrip(t *testing.T) {
	r := NewRegistry().Register(&wrapperspb.StringValue{}, &wrapperspb.Int64Value{})
	data, err := r.Encode(wrapperspb.String("hello"), es.Metadata{UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if data.Type != "google.protobuf.StringValue" || data.SchemaVersion != 1 || data.Metadata.UserID != "u1" {
		t.Fatalf("encoded %+v", data)
	}
	m, err := r.Decode(es.RecordedEvent{Type: data.Type, SchemaVersion: data.SchemaVersion, Payload: data.Payload})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(m, wrapperspb.String("hello")) {
		t.Fatalf("decoded %v", m)
	}
}

func TestDecode_Failures(t *testing.T) {
	r := NewRegistry().Register(&wrapperspb.Int64Value{})
	tests := []struct {
		name string
		ev   es.RecordedEvent
		want error
	}{
		{"unknown type", es.RecordedEvent{Type: "storefront.x.v1.Nope", SchemaVersion: 1}, ErrUnknownType},
		{"newer schema", es.RecordedEvent{Type: "google.protobuf.Int64Value", SchemaVersion: 2}, ErrNewerSchema},
		{"malformed", es.RecordedEvent{Type: "google.protobuf.Int64Value", SchemaVersion: 1, Payload: []byte{0xff, 0xff}}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := r.Decode(tt.ev); !errors.Is(err, tt.want) {
				t.Fatalf("Decode error = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := r.Encode(wrapperspb.String("x"), es.Metadata{}); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("Encode of an unregistered type: %v", err)
	}
}

// A v1 payload stored a price as a string; v2 (the current message, Int64Value) stores
// cents. The upcaster lifts old events so readers only know the current shape.
func TestDecode_UpcastsOldSchemaVersions(t *testing.T) {
	r := NewRegistry().RegisterVersion(&wrapperspb.Int64Value{}, 2).AddUpcaster(Upcaster{
		Type: "google.protobuf.Int64Value", From: 1,
		Up: func(p []byte) ([]byte, error) {
			var old wrapperspb.StringValue
			if err := proto.Unmarshal(p, &old); err != nil {
				return nil, err
			}
			cents := int64(0)
			for _, c := range old.GetValue() {
				if c >= '0' && c <= '9' {
					cents = cents*10 + int64(c-'0')
				}
			}
			return proto.Marshal(wrapperspb.Int64(cents))
		},
	})
	old, _ := proto.Marshal(wrapperspb.String("12.99"))
	m, err := r.Decode(es.RecordedEvent{Type: "google.protobuf.Int64Value", SchemaVersion: 1, Payload: old})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.(*wrapperspb.Int64Value).GetValue(); got != 1299 {
		t.Fatalf("upcast value = %d, want 1299", got)
	}
	cur, _ := r.Encode(wrapperspb.Int64(5), es.Metadata{})
	if cur.SchemaVersion != 2 {
		t.Fatalf("new events are written at version %d, want 2", cur.SchemaVersion)
	}
}

func TestRegister_TwiceIsAProgrammingError(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("registering a type twice did not panic")
		}
	}()
	NewRegistry().Register(&wrapperspb.StringValue{}, &wrapperspb.StringValue{})
}

func TestUnlisted_NamesTheMessagesMissingFromACatalogue(t *testing.T) {
	file := wrapperspb.File_google_protobuf_wrappers_proto
	all := []proto.Message{&wrapperspb.DoubleValue{}, &wrapperspb.FloatValue{}, &wrapperspb.Int64Value{}, &wrapperspb.UInt64Value{},
		&wrapperspb.Int32Value{}, &wrapperspb.UInt32Value{}, &wrapperspb.BoolValue{}, &wrapperspb.StringValue{}, &wrapperspb.BytesValue{}}
	if got := Unlisted(file, all); len(got) != 0 {
		t.Fatalf("complete catalogue: %v missing", got)
	}
	got := Unlisted(file, all[2:], "DoubleValue")
	if len(got) != 1 || got[0] != "google.protobuf.FloatValue" {
		t.Fatalf("missing = %v, want [google.protobuf.FloatValue] (DoubleValue is a part)", got)
	}
}
