package livechat_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/gateway/internal/livechat"
	"github.com/storefront/storefront/platform/bus/natsbus"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/testkit/natstest"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

const conv = "0190a000-0000-7000-8000-0000000000c1"

var epoch = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

// service is the support service's GetConversation over an in-memory conversation.
type service struct {
	mu       sync.Mutex
	messages []*supportv1.Message
	reads    int
}

func (s *service) add(n int) *supportv1.MessagePosted {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := &supportv1.MessagePosted{ConversationId: conv, UserId: "ada", MessageId: fmt.Sprint("m", n), Sequence: int32(n),
		AuthorId: "staff", AuthorRole: "staff", AuthorName: "Sam", Text: fmt.Sprintf("message %d\nsecond line", n),
		PostedAt: epoch.Add(time.Duration(n) * time.Second).UnixMicro()}
	s.messages = append(s.messages, livechat.MessageOf(e))
	return e
}

func (s *service) GetConversation(_ context.Context, in *supportv1.GetConversationRequest, _ ...grpc.CallOption) (*supportv1.Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if in.GetId() != conv {
		return nil, status.Error(codes.NotFound, "no such conversation")
	}
	return &supportv1.Conversation{Id: conv, Messages: append([]*supportv1.Message{}, s.messages...)}, nil
}

type env struct {
	t       *testing.T
	nats    *natstest.Env
	hub     *livechat.Hub
	svc     *service
	srv     *httptest.Server
	subject string
	mu      sync.Mutex
	revoked bool
}

func newEnv(t *testing.T, heartbeat time.Duration) *env {
	t.Helper()
	n := natstest.New(t)
	e := &env{t: t, nats: n, svc: &service{}}
	e.hub = livechat.NewHub(n.Prefix+"_support", slog.Default())
	e.subject = e.hub.Subject()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.hub.Run(ctx, n.Conn) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	h := &livechat.Handler{Hub: e.hub, Conversations: e.svc, Heartbeat: heartbeat, Log: slog.Default(),
		Recheck: func(context.Context) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			if e.revoked {
				return livechat.ErrSignedOut
			}
			return nil
		}}
	mux := http.NewServeMux()
	h.Register(mux)
	e.srv = httptest.NewUnstartedServer(mux)
	// The edge's request timeouts must not end a stream.
	e.srv.Config.ReadTimeout, e.srv.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	// The subscription is live once a message published now arrives.
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := e.hub.Subscribe("probe")
		e.publish(&supportv1.MessagePosted{ConversationId: "probe", Sequence: 1})
		ok := false
		select {
		case <-s.Notify():
			ok = true
		case <-time.After(100 * time.Millisecond):
		}
		s.Close()
		if ok || time.Now().After(deadline) {
			break
		}
	}
	return e
}

// publish sends a MessagePosted as the relay does.
func (e *env) publish(m *supportv1.MessagePosted) {
	e.t.Helper()
	payload, err := proto.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	ev := es.RecordedEvent{ID: uuid.New(), StreamID: "conversation-" + conv, Version: int64(m.GetSequence()),
		Type: string(m.ProtoReflect().Descriptor().FullName()), SchemaVersion: 1, RecordedAt: epoch, Payload: payload}
	if err := e.nats.Conn.PublishMsg(natsbus.Encode(e.subject, ev)); err != nil {
		e.t.Fatal(err)
	}
	if err := e.nats.Conn.Flush(); err != nil {
		e.t.Fatal(err)
	}
}

type event struct{ id, name, data string }

// stream is one client's SSE stream.
type stream struct {
	t      *testing.T
	resp   *http.Response
	events chan event
	done   chan struct{}
}

func (e *env) open(id, lastEventID string) (*stream, *http.Response) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+"/api/v1/support/conversations/"+id+"/stream", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		return nil, resp
	}
	s := &stream{t: e.t, resp: resp, events: make(chan event, 100), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		r := bufio.NewReader(resp.Body)
		var ev event
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev.name != "" {
					s.events <- ev
				}
				ev = event{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	e.t.Cleanup(func() { resp.Body.Close() })
	return s, resp
}

// expect reads the next events and checks their ids.
func (s *stream) expect(ids ...string) {
	s.t.Helper()
	for _, id := range ids {
		select {
		case ev := <-s.events:
			if ev.id != id || ev.name != "message" {
				s.t.Fatalf("event %+v, want message %s", ev, id)
			}
			if !strings.Contains(ev.data, `"sequence":`+id) || !strings.Contains(ev.data, `"author_role":"staff"`) || !strings.Contains(ev.data, `\nsecond line`) {
				s.t.Fatalf("data %s", ev.data)
			}
		case <-time.After(5 * time.Second):
			s.t.Fatalf("no event %s", id)
		}
	}
}

func (s *stream) expectNothing() {
	s.t.Helper()
	select {
	case ev := <-s.events:
		s.t.Fatalf("unexpected event %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestStream_ResumesWithoutLossOrDuplicates(t *testing.T) {
	e := newEnv(t, time.Hour)
	for n := 1; n <= 3; n++ {
		e.svc.add(n)
	}
	s, _ := e.open(conv, "1")
	if ct := s.resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	s.expect("2", "3")
	four := e.svc.add(4)
	e.publish(four)
	s.expect("4")
	// A redelivery, and a message the catch-up read already sent, are not sent again.
	e.publish(four)
	s.expectNothing()

	// A message lost on the live feed (5) is read from the service when the next one shows the gap.
	e.svc.add(5)
	e.publish(e.svc.add(6))
	s.expect("5", "6")

	// Past the server's read and write timeouts the stream still delivers.
	time.Sleep(500 * time.Millisecond)
	e.publish(e.svc.add(7))
	s.expect("7")

	// From scratch: everything, in order.
	all, _ := e.open(conv, "")
	all.expect("1", "2", "3", "4", "5", "6", "7")
}

func TestStream_LostLiveMessagesAreReadAgain(t *testing.T) {
	e := newEnv(t, time.Hour)
	e.svc.add(1)
	s, _ := e.open(conv, "")
	s.expect("1")
	e.svc.add(2)
	e.hub.LoseAll() // a NATS reconnect
	s.expect("2")
}

func TestStream_RefusesBadRequests(t *testing.T) {
	e := newEnv(t, time.Hour)
	for _, tt := range []struct {
		id, last string
		status   int
		body     string
	}{
		{"0190a000-0000-7000-8000-00000000ffff", "", 404, `"code":"not_found"`},
		{conv, "abc", 400, `"field":"Last-Event-ID"`},
		{conv, "-1", 400, `"field":"Last-Event-ID"`},
	} {
		_, resp := e.open(tt.id, tt.last)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.body) {
			t.Errorf("%s %q: %d %s", tt.id, tt.last, resp.StatusCode, body)
		}
	}
	if n := e.hub.Streams(); n != 0 {
		t.Fatalf("%d streams left subscribed", n)
	}
}

func TestStream_HeartbeatsAndEndsWhenTheSessionEnds(t *testing.T) {
	e := newEnv(t, 100*time.Millisecond)
	s, _ := e.open(conv, "")
	time.Sleep(350 * time.Millisecond)
	select {
	case <-s.done:
		t.Fatal("the stream ended while the session lives")
	default:
	}
	e.mu.Lock()
	e.revoked = true
	e.mu.Unlock()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived its session")
	}
	deadline := time.Now().Add(2 * time.Second)
	for e.hub.Streams() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams left subscribed", e.hub.Streams())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStream_CloseEndsStreams(t *testing.T) {
	e := newEnv(t, time.Hour)
	s, _ := e.open(conv, "")
	e.hub.Close()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived the hub")
	}
}

// TestStream_IdleStreamsCostNoGoroutines: an idle stream costs the goroutines the HTTP server
// and client spend on any open request, and none more: compared with as many requests whose
// handler just waits, the streams add (almost) no goroutines.
func TestStream_IdleStreamsCostNoGoroutines(t *testing.T) {
	const n = 200
	e := newEnv(t, time.Hour)
	e.svc.add(1)
	waiting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(waiting.Close)
	settle := func() int {
		time.Sleep(200 * time.Millisecond)
		runtime.GC()
		return runtime.NumGoroutine()
	}
	openAll := func(url string, first bool) []*http.Response {
		t.Helper()
		client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n}}
		var out []*http.Response
		for range n {
			resp, err := client.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			if first {
				// Read the catch-up event, so that the stream is idle and waiting.
				buf := make([]byte, 1)
				if _, err := resp.Body.Read(buf); err != nil {
					t.Fatal(err)
				}
			}
			out = append(out, resp)
		}
		return out
	}
	closeAll := func(rs []*http.Response) {
		for _, r := range rs {
			r.Body.Close()
		}
	}
	before := settle()
	plain := openAll(waiting.URL, false)
	withPlain := settle()
	closeAll(plain)
	base := settle()
	streams := openAll(e.srv.URL+"/api/v1/support/conversations/"+conv+"/stream", true)
	withStreams := settle()
	defer closeAll(streams)
	if got := e.hub.Streams(); got != n {
		t.Fatalf("%d streams subscribed, want %d", got, n)
	}
	perPlain := float64(withPlain-before) / n
	perStream := float64(withStreams-base) / n
	t.Logf("goroutines per open request: %.2f with a waiting handler, %.2f with an idle stream", perPlain, perStream)
	if perStream > perPlain+0.05 {
		t.Fatalf("an idle stream costs %.2f goroutines, a waiting request %.2f: the stream adds its own", perStream, perPlain)
	}
}
