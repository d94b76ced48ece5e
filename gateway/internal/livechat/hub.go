// Package livechat streams the support context's conversations to their readers as
// Server-Sent Events (GET /api/v1/support/conversations/{id}/stream).
//
// The edge holds one NATS subscription for every stream it serves: the Hub receives each
// MessagePosted event the support context's relay publishes (core NATS sees what JetStream
// stores) and fans it out in memory to the streams of that conversation. A stream costs a
// mailbox and a place in a map, not a goroutine or a gRPC stream of its own: its handler
// goroutine, which the HTTP server runs anyway, waits on a channel. A stream subscribes
// before it reads the conversation from the support service, then skips what it has sent
// (messages are numbered): nothing is lost between the read and the live feed, nothing is
// sent twice, and Last-Event-ID resumes after the last number a client saw. A gap in the
// numbers, a mailbox that overflowed or a reconnect of NATS makes the stream read the
// conversation again.
package livechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/gateway/internal/edge"
	"github.com/storefront/storefront/platform/bus/natsbus"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

// Message is one message of a conversation, ready to send: its sequence (the event id of the
// stream) and its JSON, rendered once for every reader.
type Message struct {
	Sequence int32
	JSON     []byte
}

// mailboxSize bounds the messages a stream holds before its handler takes them; beyond it the
// stream is marked lost and reads the conversation again.
const mailboxSize = 64

// Subscription is one stream's place in the Hub. Its methods are safe for concurrent use.
type Subscription struct {
	hub            *Hub
	conversationID string
	notify         chan struct{} // one pending signal: the mailbox changed
	mu             sync.Mutex
	mailbox        []Message
	lost           bool
}

// Notify is signalled when Take has something (or the subscription lost messages).
func (s *Subscription) Notify() <-chan struct{} { return s.notify }

// Take returns the messages delivered since the last Take, and whether some were lost (the
// mailbox overflowed or NATS reconnected): the caller then reads the conversation again.
func (s *Subscription) Take() (msgs []Message, lost bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs, lost = s.mailbox, s.lost
	s.mailbox, s.lost = nil, false
	return msgs, lost
}

// Close removes the subscription from its hub.
func (s *Subscription) Close() { s.hub.remove(s) }

func (s *Subscription) put(m Message, lost bool) {
	s.mu.Lock()
	switch {
	case lost:
		s.lost = true
	case len(s.mailbox) >= mailboxSize:
		s.lost, s.mailbox = true, nil
	default:
		s.mailbox = append(s.mailbox, m)
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Hub fans the support context's new messages out to the streams of their conversations.
// The zero Hub is not usable: call NewHub.
type Hub struct {
	context string
	log     *slog.Logger
	mu      sync.Mutex
	subs    map[string]map[*Subscription]struct{}
	closing chan struct{}
	once    sync.Once
}

// NewHub returns a hub for the support events of the bounded context named context
// ("support", or a test's prefixed one).
func NewHub(context string, log *slog.Logger) *Hub {
	return &Hub{context: context, log: log, subs: map[string]map[*Subscription]struct{}{}, closing: make(chan struct{})}
}

// Close ends every stream (the edge is shutting down: http.Server.Shutdown does not wait for
// streams that never end by themselves); streams opened afterwards end at once.
func (h *Hub) Close() { h.once.Do(func() { close(h.closing) }) }

// Closing is closed by Close.
func (h *Hub) Closing() <-chan struct{} { return h.closing }

// Subject is the subject the hub listens on: the context's MessagePosted events.
func (h *Hub) Subject() string {
	return h.context + ".conversation." + string((&supportv1.MessagePosted{}).ProtoReflect().Descriptor().Name())
}

// Subscribe adds a stream of the conversation.
func (h *Hub) Subscribe(conversationID string) *Subscription {
	s := &Subscription{hub: h, conversationID: conversationID, notify: make(chan struct{}, 1)}
	h.mu.Lock()
	set := h.subs[conversationID]
	if set == nil {
		set = map[*Subscription]struct{}{}
		h.subs[conversationID] = set
	}
	set[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *Hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.subs[s.conversationID]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.subs, s.conversationID)
		}
	}
}

// Streams returns how many streams are subscribed.
func (h *Hub) Streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.subs {
		n += len(set)
	}
	return n
}

// Deliver hands a message to every stream of its conversation, without blocking.
func (h *Hub) Deliver(conversationID string, m Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[conversationID] {
		s.put(m, false)
	}
}

// LoseAll tells every stream it may have missed messages (NATS reconnected): each reads its
// conversation again.
func (h *Hub) LoseAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for s := range set {
			s.put(Message{}, true)
		}
	}
}

// Handle decodes one NATS message of the hub's subject and delivers it. A message that is
// not a MessagePosted event is logged and dropped: the streams catch up on their next read.
func (h *Hub) Handle(msg *nats.Msg) {
	ev, err := natsbus.Decode(msg.Header, msg.Data)
	if err != nil {
		h.log.Warn("support stream: undecodable message", "subject", msg.Subject, "err", err)
		return
	}
	e := &supportv1.MessagePosted{}
	if err := proto.Unmarshal(ev.Payload, e); err != nil {
		h.log.Warn("support stream: undecodable MessagePosted", "event_id", ev.ID, "err", err)
		return
	}
	m, err := Render(MessageOf(e))
	if err != nil {
		h.log.Warn("support stream: cannot render a message", "event_id", ev.ID, "err", err)
		return
	}
	h.Deliver(e.GetConversationId(), m)
}

// MessageOf is the API's message of a MessagePosted event.
func MessageOf(e *supportv1.MessagePosted) *supportv1.Message {
	return &supportv1.Message{Id: e.GetMessageId(), AuthorRole: e.GetAuthorRole(), AuthorName: e.GetAuthorName(), Text: e.GetText(),
		CreatedAt: rfc3339Micros(e.GetPostedAt()), Sequence: e.GetSequence()}
}

var marshaler = edge.JSONMarshaler()

// Render renders a message as the REST API does (snake_case, every field present).
func Render(m *supportv1.Message) (Message, error) {
	b, err := marshaler.Marshal(m)
	if err != nil {
		return Message{}, fmt.Errorf("render message: %w", err)
	}
	return Message{Sequence: m.GetSequence(), JSON: b}, nil
}

// Run subscribes the hub to its subject on nc until ctx ends. NATS delivers on one goroutine
// of its client, the hub's only one; after a reconnect every stream reads its conversation
// again (core NATS does not replay what it published meanwhile).
func (h *Hub) Run(ctx context.Context, nc *nats.Conn) error {
	sub, err := nc.Subscribe(h.Subject(), h.Handle)
	if err != nil {
		return fmt.Errorf("subscribe to %s: %w", h.Subject(), err)
	}
	// A slow consumer drops messages: the streams then catch up from the service.
	if err := sub.SetPendingLimits(64*1024, 64*1024*1024); err != nil {
		return fmt.Errorf("subscription limits: %w", err)
	}
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("subscribe to %s: %w", h.Subject(), err)
	}
	<-ctx.Done()
	if err := sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
		return err
	}
	return nil
}

// ConnOptions are the options of the NATS connection the hub runs on: after a reconnect, or
// when the subscription dropped messages as a slow consumer, every stream reads its
// conversation again.
func (h *Hub) ConnOptions() []nats.Option {
	return []nats.Option{
		nats.ReconnectHandler(func(*nats.Conn) { h.LoseAll() }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			h.log.Warn("support stream: NATS error; streams catch up from the service", "err", err)
			h.LoseAll()
		}),
	}
}
