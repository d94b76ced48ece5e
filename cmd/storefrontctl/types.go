package main

import "encoding/json"

// The JSON shapes of proto/storefront/operations/v1/operations.proto as the REST edge writes
// them (protojson, snake_case, every field present). Fields the CLI does not show are left
// out; unknown fields are ignored, so additions to the API do not break it.

type projection struct {
	Name               string          `json:"name"`
	Position           float64         `json:"position"`
	Lag                float64         `json:"lag"`
	LagSeconds         float64         `json:"lag_seconds"`
	State              string          `json:"state"`
	Rebuild            rebuildProgress `json:"rebuild"`
	ActiveGeneration   int             `json:"active_generation"`
	BuildingGeneration int             `json:"building_generation"`
	Error              string          `json:"error"`
	SwitchedAt         string          `json:"switched_at"`
	DeadLetters        int             `json:"dead_letters"`
	RebuildRequestedAt string          `json:"rebuild_requested_at"`
}

// Projection states.
const (
	stateLive       = "live"
	stateRebuilding = "rebuilding"
	stateFailed     = "failed"
)

type rebuildProgress struct {
	Position   float64 `json:"position"`
	Total      float64 `json:"total"`
	Rate       float64 `json:"rate"`
	ETASeconds float64 `json:"eta_seconds"`
	StartedAt  string  `json:"started_at"`
}

type projectionList struct {
	Items []projection `json:"items"`
}

type stream struct {
	ID        string `json:"id"`
	Context   string `json:"context"`
	Version   int    `json:"version"`
	UpdatedAt string `json:"updated_at"`
}

type streamList struct {
	Items   []stream `json:"items"`
	Page    int      `json:"page"`
	PerPage int      `json:"per_page"`
	Total   int      `json:"total"`
}

type event struct {
	ID            string          `json:"id"`
	StreamID      string          `json:"stream_id"`
	Version       int             `json:"version"`
	Type          string          `json:"type"`
	Position      float64         `json:"position"`
	RecordedAt    string          `json:"recorded_at"`
	Data          json.RawMessage `json:"data"`
	Metadata      eventMetadata   `json:"metadata"`
	Context       string          `json:"context"`
	SchemaVersion int             `json:"schema_version"`
	DataBase64    string          `json:"data_base64"`
}

type eventMetadata struct {
	TraceID       string `json:"trace_id"`
	CausationID   string `json:"causation_id"`
	CorrelationID string `json:"correlation_id"`
	ActorID       string `json:"actor_id"`
}

type eventList struct {
	Items []event `json:"items"`
}

type deadLetter struct {
	ID         string `json:"id"`
	Projection string `json:"projection"`
	Event      event  `json:"event"`
	Error      string `json:"error"`
	Attempts   int    `json:"attempts"`
	ParkedAt   string `json:"parked_at"`
	Reason     string `json:"reason"`
	Requested  string `json:"requested"`
}

type deadLetterList struct {
	Items   []deadLetter `json:"items"`
	Page    int          `json:"page"`
	PerPage int          `json:"per_page"`
	Total   int          `json:"total"`
}

type auditEntry struct {
	At      string `json:"at"`
	ActorID string `json:"actor_id"`
	Action  string `json:"action"`
	Target  string `json:"target"`
	EventID string `json:"event_id"`
}

type auditList struct {
	Items   []auditEntry `json:"items"`
	Page    int          `json:"page"`
	PerPage int          `json:"per_page"`
	Total   int          `json:"total"`
}

// tokenPair is the answer of POST /auth/login and /auth/refresh.
type tokenPair struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	TokenType    string          `json:"token_type"`
	ExpiresIn    int             `json:"expires_in"`
	User         json.RawMessage `json:"user"`
}

type user struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}
