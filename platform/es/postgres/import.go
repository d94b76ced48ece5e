package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storefront/storefront/platform/es"
)

var _ es.Importer = (*Store)(nil)

// importColumns are the columns Import copies; global_position and recorded_at take their
// defaults.
var importColumns = []string{"tx_id", "event_id", "stream_id", "stream_version", "event_type", "schema_version",
	"payload", "correlation_id", "causation_id", "user_id", "trace_parent", "trace_state"}

// Import implements es.Importer in one transaction and three round trips, whatever the
// number of streams: one pipelined batch locks the streams (as append_events does, before
// the transaction takes its id), checks that none exists and takes the claims; one COPY writes
// the events; then the commit.
func (s *Store) Import(ctx context.Context, streams []es.NewStream) error {
	reqs, err := importRequests(streams)
	if err != nil {
		return err
	}
	ids := make([]string, len(reqs))
	var claims []es.Claim
	owners := map[es.Claim]string{}
	for i, r := range reqs {
		ids[i] = r.Stream
		for _, c := range r.Claims {
			if other, ok := owners[c]; ok && other != r.Stream {
				return &es.DuplicateError{Scope: c.Scope, Value: c.Value}
			}
			if _, ok := owners[c]; !ok {
				owners[c] = r.Stream
				claims = append(claims, c)
			}
		}
	}
	claimScopes, claimValues := split(claims)
	claimStreams := make([]string, len(claims))
	for i, c := range claims {
		claimStreams[i] = owners[c]
	}

	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := func(name string) string { return pgx.Identifier{s.schema, name}.Sanitize() }
		b := &pgx.Batch{}
		// Sorted, so that concurrent imports and appends of the same streams cannot deadlock.
		b.Queue(`SELECT count(pg_advisory_xact_lock(hashtextextended('es:' || $2 || ':' || u, 0)))
			FROM (SELECT u FROM unnest($1::text[]) AS u ORDER BY u) AS sorted`, ids, s.schema)
		// max() per stream: the planner turns it into one index probe each, whatever its
		// statistics say (a table filling up fast looks empty to it, and gets scanned).
		b.Queue(`SELECT u FROM unnest($1::text[]) AS u
			WHERE (SELECT max(e.stream_version) FROM `+q("events")+` AS e WHERE e.stream_id = u) IS NOT NULL
			LIMIT 1`, ids)
		b.Queue(`INSERT INTO `+q("claims")+` (scope, value, stream_id)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS u (scope, value, stream_id) ORDER BY scope, value
			ON CONFLICT (scope, value) DO NOTHING
			RETURNING scope, value`, claimScopes, claimValues, claimStreams)
		b.Queue(`SELECT pg_current_xact_id()::text::bigint`)
		br := tx.SendBatch(ctx, b)
		var (
			txID     int64
			existing string
		)
		_, err := br.Exec()
		if err == nil {
			err = br.QueryRow().Scan(&existing)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				err = nil
			case err == nil:
				err = &es.ConcurrencyError{Stream: existing, Expected: es.NoStream, Actual: -1}
			}
		}
		if err == nil {
			err = checkClaims(br, claims)
		}
		if err == nil {
			err = br.QueryRow().Scan(&txID)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{s.schema, "events"}, importColumns, &importRows{txID: txID, reqs: reqs, ev: -1})
		return err
	})
	if err != nil {
		return s.importError(ctx, err)
	}
	s.wake(ctx)
	return nil
}

// importRequests validates the streams as Append would, with NoStream expected.
func importRequests(streams []es.NewStream) ([]es.AppendRequest, error) {
	if len(streams) == 0 {
		return nil, fmt.Errorf("%w: no streams to import", es.ErrInvalidArgument)
	}
	reqs := make([]es.AppendRequest, len(streams))
	seen := make(map[string]bool, len(streams))
	for i, st := range streams {
		if seen[st.Stream] {
			return nil, fmt.Errorf("%w: stream %q given twice", es.ErrInvalidArgument, st.Stream)
		}
		seen[st.Stream] = true
		r, err := es.NewAppendRequest(st.Stream, es.NoStream, st.Events, es.WithClaims(st.Claims...))
		if err != nil {
			return nil, err
		}
		reqs[i] = r
	}
	return reqs, nil
}

// claimTaken carries the first claim of an import that another stream holds.
type claimTaken struct{ claim es.Claim }

func (c claimTaken) Error() string { return "claim taken" }

// checkClaims reads the claims the import inserted; one missing is held by another stream.
func checkClaims(br pgx.BatchResults, claims []es.Claim) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (es.Claim, error) {
		var c es.Claim
		err := r.Scan(&c.Scope, &c.Value)
		return c, err
	})
	if err != nil {
		return err
	}
	if len(got) == len(claims) {
		return nil
	}
	for _, c := range claims {
		if !slices.Contains(got, c) {
			return claimTaken{c}
		}
	}
	return nil
}

// importError maps what PostgreSQL said to the es errors.
func (s *Store) importError(ctx context.Context, err error) error {
	var conflict *es.ConcurrencyError
	if errors.As(err, &conflict) {
		return conflict
	}
	var taken claimTaken
	if errors.As(err, &taken) {
		return &es.DuplicateError{Scope: taken.claim.Scope, Value: taken.claim.Value}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == codeUniqueViolation && pgErr.ConstraintName == "events_stream_version_key":
			// Unreachable while every writer takes the stream locks; the detail names the key.
			return &es.ConcurrencyError{Expected: es.NoStream, Actual: -1}
		case pgErr.Code == codeUniqueViolation && pgErr.ConstraintName == "events_event_id_key":
			return fmt.Errorf("es/postgres: import: %w", es.ErrDuplicateEventID)
		}
	}
	return wrap(ctx, "import", err)
}

// importRows is the COPY source of Import: every event of every stream, in order.
type importRows struct {
	txID    int64
	reqs    []es.AppendRequest
	req, ev int // the current row: reqs[req].Events[ev]
	row     [12]any
}

func (r *importRows) Next() bool {
	for r.req < len(r.reqs) {
		if r.ev+1 < len(r.reqs[r.req].Events) {
			r.ev++
			return true
		}
		r.req, r.ev = r.req+1, -1
	}
	return false
}

func (r *importRows) Values() ([]any, error) {
	req := &r.reqs[r.req]
	e := &req.Events[r.ev]
	r.row = [12]any{r.txID, e.ID, req.Stream, int64(r.ev + 1), e.Type, int32(e.SchemaVersion), e.Payload,
		e.Metadata.CorrelationID, e.Metadata.CausationID, e.Metadata.UserID, e.Metadata.TraceParent, e.Metadata.TraceState}
	return r.row[:], nil
}

func (r *importRows) Err() error { return nil }
