package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// httpStatus maps a gRPC code to the HTTP status and error code of API.md. Codes not listed
// are internal errors.
var httpStatus = map[codes.Code]struct {
	status int
	code   string
}{
	codes.InvalidArgument:    {http.StatusBadRequest, CodeInvalidArgument},
	codes.OutOfRange:         {http.StatusBadRequest, CodeInvalidArgument},
	codes.Unauthenticated:    {http.StatusUnauthorized, CodeUnauthenticated},
	codes.PermissionDenied:   {http.StatusForbidden, CodePermissionDenied},
	codes.NotFound:           {http.StatusNotFound, CodeNotFound},
	codes.AlreadyExists:      {http.StatusConflict, CodeAlreadyExists},
	codes.FailedPrecondition: {http.StatusConflict, CodeFailedPrecondition},
	codes.Aborted:            {http.StatusConflict, CodeAborted},
	codes.ResourceExhausted:  {http.StatusTooManyRequests, CodeResourceExhausted},
	codes.Unavailable:        {http.StatusServiceUnavailable, CodeUnavailable},
	codes.DeadlineExceeded:   {http.StatusServiceUnavailable, CodeUnavailable},
	codes.Canceled:           {http.StatusServiceUnavailable, CodeUnavailable},
}

// StatusError turns a gRPC status into the HTTP status and error body of API.md. Messages of
// internal errors are replaced: they may hold SQL, stack traces or host names.
func StatusError(st *status.Status) (int, ErrorBody) {
	m, ok := httpStatus[st.Code()]
	if !ok {
		return http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{Code: CodeInternal, Message: "internal error", Details: []FieldViolation{}}}
	}
	msg := st.Message()
	if st.Code() == codes.Unavailable || st.Code() == codes.DeadlineExceeded || st.Code() == codes.Canceled {
		msg = "service unavailable, try again"
	}
	details := []FieldViolation{}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				details = append(details, FieldViolation{Field: v.GetField(), Reason: v.GetDescription()})
			}
		}
	}
	return m.status, ErrorBody{Error: ErrorDetail{Code: m.code, Message: msg, Details: details}}
}

// JSONMarshaler returns the codec of every request and response body at the edge: snake_case
// names with every field present on the way out; on the way in, unknown fields are rejected
// and so is anything after the body's one JSON value (`{...} {"role":"admin"}` is a 400, not
// a request whose tail is silently dropped).
func JSONMarshaler() runtime.Marshaler {
	return strictJSON{&runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}
}

// errTrailingData is the decode error of a body holding more than one JSON value.
var errTrailingData = errors.New("unexpected data after the JSON body")

type strictJSON struct{ *runtime.JSONPb }

// NewDecoder decodes exactly one JSON value; an empty body is io.EOF (an empty message).
func (s strictJSON) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		body, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		body = bytes.TrimSpace(body)
		if len(body) == 0 {
			return io.EOF
		}
		d := json.NewDecoder(bytes.NewReader(body))
		var first json.RawMessage
		if err := d.Decode(&first); err != nil {
			return err
		}
		if int(d.InputOffset()) != len(body) {
			return errTrailingData
		}
		return s.JSONPb.Unmarshal(first, v)
	})
}

// ForwardedHeader reports whether a client header reaches the services, and the metadata key
// it becomes: only Idempotency-Key, for POST /orders (API.md "Idempotency").
func ForwardedHeader(h string) (string, bool) {
	if http.CanonicalHeaderKey(h) == "Idempotency-Key" {
		return "idempotency-key", true
	}
	return "", false
}

// GatewayOptions configures a grpc-gateway mux for API.md: bodies in JSONMarshaler's JSON and
// errors in the error body of the contract. Services learn the caller from the x-sf-*
// metadata the edge sets (decision 006); of the client's headers only those a service needs
// become gRPC metadata (ForwardedHeader).
func GatewayOptions(log *slog.Logger) []runtime.ServeMuxOption {
	return []runtime.ServeMuxOption{
		runtime.WithIncomingHeaderMatcher(ForwardedHeader),
		// Nor does any gRPC response metadata become an HTTP header: backends' internals stay in.
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithOutgoingTrailerMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, JSONMarshaler()),
		runtime.WithErrorHandler(func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
			st := statusOf(err)
			code, body := StatusError(st)
			if code == http.StatusInternalServerError {
				log.ErrorContext(ctx, "internal error from a backend", "grpc_code", st.Code().String(), "err", st.Message(),
					"request_id", RequestIDFrom(r.Context()), "path", r.URL.Path)
			}
			WriteJSON(w, code, body)
		}),
		runtime.WithRoutingErrorHandler(func(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, status int) {
			switch status {
			case http.StatusMethodNotAllowed:
				WriteError(w, status, CodeInvalidArgument, "method not allowed on this resource")
			case http.StatusBadRequest:
				WriteError(w, status, CodeInvalidArgument, "malformed request")
			default:
				WriteError(w, http.StatusNotFound, CodeNotFound, "no such resource")
			}
		}),
	}
}

// statusOf extracts a gRPC status from an error of the gateway: a backend's status, or a
// request the gateway could not decode (which it reports as InvalidArgument).
func statusOf(err error) *status.Status {
	if st, ok := status.FromError(err); ok {
		return st
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return status.New(codes.InvalidArgument, "request body too large")
	}
	return status.New(codes.Unknown, err.Error())
}
