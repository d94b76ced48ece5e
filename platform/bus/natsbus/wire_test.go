package natsbus

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/storefront/storefront/platform/es"
)

func TestEncodeDecode_RoundTripsEveryField(t *testing.T) {
	ev := es.RecordedEvent{
		ID:            uuid.Must(uuid.NewV7()),
		StreamID:      "product-0190e4a8-7a4b-7c3d-9e2f-112233445566",
		Version:       7,
		Position:      es.Position{TxID: 991, Global: 12345},
		Type:          "storefront.catalog.v1.ProductCreated",
		SchemaVersion: 2,
		Payload:       []byte{0x0a, 0x03, 'k', 'e', 'y'},
		Metadata: es.Metadata{
			CorrelationID: "corr-1", CausationID: "cmd-9", UserID: "user-3",
			TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", TraceState: "congo=t61rcWkgMzE",
		},
		RecordedAt: time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC),
	}
	msg := Encode(Subject("catalog", ev), ev)
	if msg.Subject != "catalog.product.ProductCreated" {
		t.Fatalf("subject = %q", msg.Subject)
	}
	got, err := Decode(msg.Header, msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ev, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}

func TestDecode_RejectsMessagesWithoutAnEnvelope(t *testing.T) {
	good := Encode("catalog.product.X", es.RecordedEvent{
		ID: uuid.Must(uuid.NewV7()), StreamID: "product-1", Version: 1, Type: "a.B", SchemaVersion: 1, RecordedAt: time.Now(),
	})
	tests := map[string]func(h nats.Header){
		"no id":          func(h nats.Header) { h.Del(HeaderMsgID) },
		"no type":        func(h nats.Header) { h.Del(HeaderType) },
		"no stream":      func(h nats.Header) { h.Del(HeaderStream) },
		"bad version":    func(h nats.Header) { h.Set(HeaderVersion, "0") },
		"bad schema":     func(h nats.Header) { h.Set(HeaderSchemaVersion, "x") },
		"bad position":   func(h nats.Header) { h.Set(HeaderPosition, "12") },
		"bad recordedAt": func(h nats.Header) { h.Set(HeaderRecordedAt, "yesterday") },
	}
	for name, spoil := range tests {
		t.Run(name, func(t *testing.T) {
			h := nats.Header{}
			for k, v := range good.Header {
				h[k] = append([]string(nil), v...)
			}
			spoil(h)
			if _, err := Decode(h, nil); err == nil {
				t.Fatal("Decode accepted a message without a valid envelope")
			}
		})
	}
}

func TestSubject_SanitisesTokens(t *testing.T) {
	ev := es.RecordedEvent{StreamID: "we.ird>stream", Type: "NoPackage"}
	if got := Subject("ordering", ev); got != "ordering.we_ird_stream.NoPackage" {
		t.Fatalf("Subject = %q", got)
	}
}
