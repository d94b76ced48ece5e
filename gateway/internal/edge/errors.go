package edge

import (
	"encoding/json"
	"net/http"
)

// Error codes of the error body (API.md, "Errors").
const (
	CodeInvalidArgument    = "invalid_argument"
	CodeUnauthenticated    = "unauthenticated"
	CodePermissionDenied   = "permission_denied"
	CodeNotFound           = "not_found"
	CodeAlreadyExists      = "already_exists"
	CodeFailedPrecondition = "failed_precondition"
	CodeAborted            = "aborted"
	CodeResourceExhausted  = "resource_exhausted"
	CodeInternal           = "internal"
	CodeUnavailable        = "unavailable"
)

// FieldViolation names one invalid field of a request.
type FieldViolation struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ErrorBody is the body of every non-2xx response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of ErrorBody.
type ErrorDetail struct {
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Details []FieldViolation `json:"details"`
}

// WriteError writes the JSON error body with the given status.
func WriteError(w http.ResponseWriter, status int, code, message string, details ...FieldViolation) {
	if details == nil {
		details = []FieldViolation{}
	}
	WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message, Details: details}})
}

// WriteJSON writes v as a JSON response.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
