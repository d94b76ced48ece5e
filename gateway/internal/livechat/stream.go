package livechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/storefront/storefront/gateway/internal/edge"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

// Conversations is the support service's read of a conversation, called as the stream's
// caller (the edge's client interceptor checks the route's access and forwards who calls):
// the owner or the staff get it, anyone else not_found.
type Conversations interface {
	GetConversation(ctx context.Context, in *supportv1.GetConversationRequest, opts ...grpc.CallOption) (*supportv1.Conversation, error)
}

// ErrSignedOut is what Recheck returns when the caller's token or session ended: the stream
// closes.
var ErrSignedOut = errors.New("livechat: the session ended")

// Handler serves the streams.
type Handler struct {
	Hub           *Hub
	Conversations Conversations
	// Recheck authenticates the stream's caller again, on every heartbeat: ErrSignedOut (or
	// an error wrapping it) ends the stream; another error (identity unreachable) is logged
	// and the stream goes on.
	Recheck func(ctx context.Context) error
	// Heartbeat is the interval of the comment that keeps proxies from closing an idle stream
	// (default 15 s); the caller is rechecked as often.
	Heartbeat time.Duration
	Log       *slog.Logger
}

// Path is the stream's route.
const Path = "GET /api/v1/support/conversations/{id}/stream"

// Register adds the route to mux.
func (h *Handler) Register(mux *http.ServeMux) { mux.HandleFunc(Path, h.stream) }

func (h *Handler) heartbeat() time.Duration {
	if h.Heartbeat > 0 {
		return h.Heartbeat
	}
	return 15 * time.Second
}

func writeStatus(w http.ResponseWriter, err error) {
	code, body := edge.StatusError(status.Convert(err))
	edge.WriteJSON(w, code, body)
}

func (h *Handler) stream(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	var last int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			edge.WriteError(w, http.StatusBadRequest, edge.CodeInvalidArgument, "invalid Last-Event-ID",
				edge.FieldViolation{Field: "Last-Event-ID", Reason: "must be the sequence number of a message"})
			return
		}
		last = n
	}
	// Live first, then the catch-up read: a message committed in between is in one or both.
	sub := h.Hub.Subscribe(id)
	defer sub.Close()
	conv, err := h.Conversations.GetConversation(ctx, &supportv1.GetConversationRequest{Id: id})
	if err != nil {
		writeStatus(w, err)
		return
	}
	rc := http.NewResponseController(w)
	// The server's read and write timeouts are for requests, not for a stream: the write
	// deadline moves with every write, and no read deadline ends it.
	_ = rc.SetReadDeadline(time.Time{})
	s := &sender{w: w, rc: rc, last: int32(last), idle: 2 * h.heartbeat()}
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := s.catchUp(conv); err != nil {
		return
	}
	beat := time.NewTicker(h.heartbeat())
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.Hub.Closing():
			return
		case <-sub.Notify():
			msgs, lost := sub.Take()
			if err := s.live(msgs); errors.Is(err, errGap) || (err == nil && lost) {
				conv, err := h.Conversations.GetConversation(ctx, &supportv1.GetConversationRequest{Id: id})
				if err != nil {
					h.Log.WarnContext(ctx, "support stream: cannot catch up; closing the stream", "conversation_id", id, "err", err)
					return
				}
				if s.catchUp(conv) != nil {
					return
				}
			} else if err != nil {
				return
			}
		case <-beat.C:
			if err := h.Recheck(ctx); errors.Is(err, ErrSignedOut) {
				return
			} else if err != nil {
				h.Log.WarnContext(ctx, "support stream: cannot recheck the caller", "err", err)
			}
			if s.write([]byte(": heartbeat\n\n")) != nil {
				return
			}
		}
	}
}

var errGap = errors.New("livechat: a message is missing")

// sender writes a stream's events, each message once, in order.
type sender struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	last int32 // the sequence of the last message sent (or the client's Last-Event-ID)
	idle time.Duration
	buf  bytes.Buffer
}

// catchUp sends the conversation's messages after the last one sent.
func (s *sender) catchUp(conv *supportv1.Conversation) error {
	for _, m := range conv.GetMessages() {
		if m.GetSequence() <= s.last {
			continue
		}
		rendered, err := Render(m)
		if err != nil {
			return err
		}
		s.queue(rendered)
	}
	return s.flush()
}

// live sends the delivered messages that follow the last one sent; a message beyond the next
// one is a gap (errGap), sent after the catch-up read instead.
func (s *sender) live(msgs []Message) error {
	for _, m := range msgs {
		switch {
		case m.Sequence <= s.last:
			continue
		case m.Sequence > s.last+1:
			if err := s.flush(); err != nil {
				return err
			}
			return errGap
		}
		s.queue(m)
	}
	return s.flush()
}

func (s *sender) queue(m Message) {
	fmt.Fprintf(&s.buf, "id: %d\nevent: message\ndata: %s\n\n", m.Sequence, m.JSON)
	s.last = m.Sequence
}

func (s *sender) flush() error {
	if s.buf.Len() == 0 {
		return s.write(nil)
	}
	err := s.write(s.buf.Bytes())
	s.buf.Reset()
	return err
}

func (s *sender) write(b []byte) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.idle))
	if len(b) > 0 {
		if _, err := s.w.Write(b); err != nil {
			return err
		}
	}
	return s.rc.Flush()
}

func rfc3339Micros(us int64) string { return time.UnixMicro(us).UTC().Format(time.RFC3339) }
