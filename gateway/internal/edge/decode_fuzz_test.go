package edge_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/storefront/storefront/gateway/internal/backends"
	"github.com/storefront/storefront/gateway/internal/edge"
)

// bodyMessages returns the message types the edge decodes from request bodies: for every RPC
// of every backend with an HTTP rule that has a body, its input ("*") or the input's field
// named by the rule.
func bodyMessages(tb testing.TB) []protoreflect.MessageType {
	tb.Helper()
	var out []protoreflect.MessageType
	for _, svc := range backends.Services() {
		methods := svc.Methods()
		for i := range methods.Len() {
			m := methods.Get(i)
			rule, _ := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
			if rule.GetBody() == "" {
				continue
			}
			md := m.Input()
			if rule.GetBody() != "*" {
				fd := md.Fields().ByName(protoreflect.Name(rule.GetBody()))
				if fd == nil || fd.Message() == nil {
					tb.Fatalf("%s: body %q is not a message field of %s", m.FullName(), rule.GetBody(), md.FullName())
				}
				md = fd.Message()
			}
			mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
			if err != nil {
				tb.Fatalf("%s: %v", md.FullName(), err)
			}
			out = append(out, mt)
		}
	}
	if len(out) == 0 {
		tb.Fatal("no RPC of the served APIs reads a request body")
	}
	return out
}

// decode reads a request body as the generated gateway handlers do: exactly one JSON value,
// an empty body being an empty message.
func decode(m runtime.Marshaler, body []byte, msg proto.Message) error {
	err := m.NewDecoder(bytes.NewReader(body)).Decode(msg)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// firstValue returns the bounds of the first JSON value of body, as the decoder saw it; ok is
// false for a body with no value.
func firstValue(body []byte) (start, end int, ok bool) {
	d := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	if err := d.Decode(&raw); err != nil {
		return 0, 0, false
	}
	end = int(d.InputOffset())
	start = end - len(raw)
	return start, end, true
}

// unknownField names no field of any request message.
const unknownField = "zz_not_a_field"

// withUnknownField returns body with unknownField added to its first value, which must be an
// object the decoder accepted.
func withUnknownField(body []byte, start, end int) []byte {
	var b bytes.Buffer
	b.Write(body[:start])
	b.WriteString(`{"` + unknownField + `":1`)
	if inner := bytes.TrimSpace(body[start+1 : end-1]); len(inner) > 0 {
		b.WriteByte(',')
	}
	b.Write(body[start+1:])
	return b.Bytes()
}

// knownField reports whether protojson maps an object key to a field of md.
func knownField(md protoreflect.MessageDescriptor, key string) bool {
	fields := md.Fields()
	return fields.ByJSONName(key) != nil || fields.ByTextName(key) != nil
}

// FuzzDecodeRequest feeds arbitrary bodies to the edge's JSON decoder, for every request
// message the REST API reads from a body. It must never panic; what it accepts must be an
// object of known fields (or an empty body) that survives a round trip through the same
// marshaler unchanged; and the same object with an unknown field added must be refused.
func FuzzDecodeRequest(f *testing.F) {
	seeds := []string{
		// Bodies of API.md.
		`{"email": "ada@example.com", "password": "analytical1", "name": "Ada Lovelace"}`,
		`{"email": "ada@example.com", "password": "analytical1"}`,
		`{"refresh_token": "6f1c0e4e-4a43-4b0e-9a59-8c2f0f6d1e2a.c2VjcmV0"}`,
		`{"email": "ada@example.com"}`,
		`{"token": "q9Zx0v3LrS8", "new_password": "engine2analytical"}`,
		`{"name": "Ada King"}`,
		`{"line1": "12 St James's Square", "line2": "", "city": "London", "state": "", "postal_code": "SW1Y 4JH", "country": "GB"}`,
		// Empty and non-object bodies.
		``, ` `, `{}`, `null`, `[]`, `""`, `0`, `true`, `{`, `}`, `{"email"`, `{"email":}`,
		// Unknown fields, typos, other spellings.
		`{"quantitiy": 1}`,
		`{"email": "ada@example.com", "emial": "x"}`,
		`{"Email": "ada@example.com"}`,
		`{"newPassword": "engine2analytical", "token": "t"}`,
		`{"new_password": "a1bcdefgh", "newPassword": "a1bcdefgh"}`,
		`{"e\u006dail": "ada@example.com"}`,
		`{"@type": "type.googleapis.com/storefront.identity.v1.LoginRequest"}`,
		`{"[storefront.identity.v1.ext]": 1}`,
		// Wrong types and values.
		`{"email": null, "password": null}`,
		`{"email": 1}`, `{"email": true}`, `{"email": ["a"]}`, `{"email": {"a": 1}}`,
		`{"name": 1e999}`, `{"name": -0}`,
		`{"email": "a", "email": "b"}`,
		"{\"name\": \"\xff\xfe\"}",
		`{"name": "\ud800"}`,
		`{"name": "\u0000"}`,
		"\xef\xbb\xbf{}",
		// Anything after the one value is refused.
		`{"email": "ada@example.com"} {"admin": true}`,
		`{"email": "ada@example.com"}garbage`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	m := edge.JSONMarshaler()
	types := bodyMessages(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, mt := range types {
			md := mt.Descriptor()
			msg := mt.New().Interface()
			if err := decode(m, body, msg); err != nil {
				continue
			}
			start, end, ok := firstValue(body)
			if ok && len(bytes.TrimSpace(body[end:])) > 0 {
				t.Fatalf("%s: accepted data after the JSON value: %q", md.FullName(), body)
			}
			if ok {
				var obj map[string]json.RawMessage
				if body[start] != '{' || json.Unmarshal(body[start:end], &obj) != nil {
					t.Fatalf("%s: accepted a body that is not an object: %q", md.FullName(), body)
				}
				for key := range obj {
					if !knownField(md, key) {
						t.Fatalf("%s: accepted unknown field %q in %q", md.FullName(), key, body)
					}
				}
				if err := decode(m, withUnknownField(body, start, end), mt.New().Interface()); err == nil {
					t.Fatalf("%s: accepted %q with an unknown field added", md.FullName(), body)
				}
			}

			out, err := m.Marshal(msg)
			if err != nil {
				t.Fatalf("%s: re-encode %q: %v", md.FullName(), body, err)
			}
			again := mt.New().Interface()
			if err := decode(m, out, again); err != nil {
				t.Fatalf("%s: decode own output %s (from %q): %v", md.FullName(), out, body, err)
			}
			if !proto.Equal(msg, again) {
				t.Fatalf("%s: round trip changed the message:\n body  %q\n first %v\n again %v", md.FullName(), body, msg, again)
			}
		}
	})
}
