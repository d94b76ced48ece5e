package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSupport drives the customer-support chat through the REST edge against the fleet as
// `make run` starts it: a customer opens a conversation, the staff answer, only the owner
// and the staff see it (others 404), the lists (own ones newest activity first, the staff's
// everyone's, by status), closing (then 409 on a new message), the live stream over
// Server-Sent Events resumed from Last-Event-ID and ended by logout, and the staff's mail;
// every negative path answers API.md's error and changes nothing.
func TestSupport(t *testing.T) {
	f := startFleet(t,
		"STOREFRONT_RATE_LIMIT_AUTH=1000/1m", "STOREFRONT_RATE_LIMIT_API=10000/1m", "STOREFRONT_RATE_LIMIT_ADMIN=10000/1m",
		"STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword, "STOREFRONT_STREAM_HEARTBEAT=500ms")
	r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	c := supportClient{f: f, admin: r.json(t)["access_token"].(string)}
	_, ada := register(t, f, "ada")
	_, grace := register(t, f, "grace")
	c.ada, c.adaRefresh = ada["access_token"].(string), ada["refresh_token"].(string)
	c.grace = grace["access_token"].(string)

	t.Run("start, answer, close", c.testConversation)
	t.Run("bad input and others change nothing", c.testNegative)
	t.Run("lists", c.testLists)
	t.Run("live stream", c.testStream)
	t.Run("staff mail", c.testMail)
	t.Run("logout ends the stream", c.testLogout)
}

type supportClient struct {
	f                     *fleet
	admin, ada, grace     string
	adaRefresh            string
	first, second, graces string
}

func (c *supportClient) start(t *testing.T, token, subject, message string) map[string]any {
	t.Helper()
	r := c.f.do(t, "POST", "/api/v1/support/conversations", map[string]any{"subject": subject, "message": message}, token)
	if r.status != 201 {
		t.Fatalf("POST /support/conversations: %d %s", r.status, r.body)
	}
	return r.json(t)
}

func (c *supportClient) post(t *testing.T, token, id, text string) response {
	t.Helper()
	return c.f.do(t, "POST", "/api/v1/support/conversations/"+id+"/messages", map[string]any{"text": text}, token)
}

func messages(conv map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range conv["messages"].([]any) {
		out = append(out, m.(map[string]any))
	}
	return out
}

func (c *supportClient) testConversation(t *testing.T) {
	conv := c.start(t, c.ada, "  Sticky E key ", "My E key sticks since Monday.")
	c.first = conv["id"].(string)
	ms := messages(conv)
	if conv["status"] != "open" || conv["subject"] != "Sticky E key" || conv["user_id"] == "" || conv["created_at"] == "" ||
		conv["updated_at"] == "" || len(ms) != 1 || ms[0]["author_role"] != "customer" || ms[0]["author_name"] != "ada" ||
		ms[0]["text"] != "My E key sticks since Monday." || ms[0]["sequence"] != 1.0 || ms[0]["id"] == "" {
		t.Fatalf("conversation %v", conv)
	}
	// Read-your-writes for the owner, and the staff see it too.
	for _, token := range []string{c.ada, c.admin} {
		if r := c.f.do(t, "GET", "/api/v1/support/conversations/"+c.first, nil, token); r.status != 200 || r.json(t)["id"] != c.first {
			t.Fatalf("GET: %d %s", r.status, r.body)
		}
	}
	r := c.post(t, c.admin, c.first, "Sorry about that: a new keycap is on its way.")
	if r.status != 201 {
		t.Fatalf("staff message: %d %s", r.status, r.body)
	}
	if m := r.json(t); m["author_role"] != "staff" || m["sequence"] != 2.0 || m["author_name"] == "" {
		t.Fatalf("staff message %s", r.body)
	}
	r = c.post(t, c.ada, c.first, "Thanks!")
	if r.status != 201 || r.json(t)["author_role"] != "customer" || r.json(t)["sequence"] != 3.0 {
		t.Fatalf("customer message: %d %s", r.status, r.body)
	}
	got := c.f.do(t, "GET", "/api/v1/support/conversations/"+c.first, nil, c.ada).json(t)
	if ms := messages(got); len(ms) != 3 || ms[1]["author_role"] != "staff" || ms[2]["text"] != "Thanks!" {
		t.Fatalf("the owner's next read: %v", got)
	}

	closing := c.start(t, c.ada, "Invoice address", "Please change it.")
	c.second = closing["id"].(string)
	r = c.f.do(t, "POST", "/api/v1/support/conversations/"+c.second+"/close", map[string]any{}, c.admin)
	if r.status != 200 || r.json(t)["status"] != "closed" {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	assertError(t, c.post(t, c.ada, c.second, "One more thing"), 409, "failed_precondition")
	if r := c.f.do(t, "POST", "/api/v1/support/conversations/"+c.second+"/close", map[string]any{}, c.ada); r.status != 200 {
		t.Fatalf("close again: %d %s", r.status, r.body)
	}
	c.graces = c.start(t, c.grace, "Shipping to Norway", "Do you ship there?")["id"].(string)
}

func (c *supportClient) testNegative(t *testing.T) {
	before := c.f.do(t, "GET", "/api/v1/support/conversations/"+c.first, nil, c.ada).json(t)
	long := strings.Repeat("x", 4001)
	for _, tt := range []struct {
		name   string
		r      response
		status int
		code   string
		fields []string
	}{
		{"no subject, message too long", c.f.do(t, "POST", "/api/v1/support/conversations", map[string]any{"subject": " ", "message": long}, c.ada),
			400, "invalid_argument", []string{"subject", "message"}},
		{"subject too long", c.f.do(t, "POST", "/api/v1/support/conversations", map[string]any{"subject": strings.Repeat("s", 201), "message": "x"}, c.ada),
			400, "invalid_argument", []string{"subject"}},
		{"unknown field", c.f.do(t, "POST", "/api/v1/support/conversations", map[string]any{"subject": "x", "mesage": "x"}, c.ada),
			400, "invalid_argument", nil},
		{"empty text", c.post(t, c.ada, c.first, ""), 400, "invalid_argument", []string{"text"}},
		{"text too long", c.post(t, c.admin, c.first, long), 400, "invalid_argument", []string{"text"}},
		{"anonymous start", c.f.do(t, "POST", "/api/v1/support/conversations", map[string]any{"subject": "x", "message": "x"}, ""),
			401, "unauthenticated", nil},
		{"anonymous read", c.f.do(t, "GET", "/api/v1/support/conversations/"+c.first, nil, ""), 401, "unauthenticated", nil},
		{"another customer reads", c.f.do(t, "GET", "/api/v1/support/conversations/"+c.first, nil, c.grace), 404, "not_found", nil},
		{"another customer writes", c.post(t, c.grace, c.first, "hi"), 404, "not_found", nil},
		{"another customer closes", c.f.do(t, "POST", "/api/v1/support/conversations/"+c.first+"/close", map[string]any{}, c.grace), 404, "not_found", nil},
		{"unknown conversation", c.f.do(t, "GET", "/api/v1/support/conversations/0190a000-0000-7000-8000-00000000ffff", nil, c.admin), 404, "not_found", nil},
		{"malformed id", c.f.do(t, "GET", "/api/v1/support/conversations/nope", nil, c.ada), 404, "not_found", nil},
		{"bad status", c.f.do(t, "GET", "/api/v1/support/conversations?status=pending", nil, c.ada), 400, "invalid_argument", []string{"status"}},
		{"bad page", c.f.do(t, "GET", "/api/v1/support/conversations?per_page=101", nil, c.ada), 400, "invalid_argument", []string{"per_page"}},
	} {
		t.Run(tt.name, func(t *testing.T) { assertError(t, tt.r, tt.status, tt.code, tt.fields...) })
	}
	after := c.f.do(t, "GET", "/api/v1/support/conversations/"+c.first, nil, c.ada).json(t)
	if len(messages(after)) != len(messages(before)) || after["updated_at"] != before["updated_at"] || after["status"] != "open" {
		t.Fatalf("refused requests changed the conversation: %v", after)
	}
}

// list waits for the read model to show want (subjects, in order) to the token's user.
// It waits up to 45 s: the demo conversation comes after the demo catalog, which a loaded CI
// machine takes a while to upload and process.
func (c *supportClient) list(t *testing.T, token, query string, want ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		r := c.f.do(t, "GET", "/api/v1/support/conversations"+query, nil, token)
		if r.status != 200 {
			t.Fatalf("GET /support/conversations%s: %d %s", query, r.status, r.body)
		}
		body := r.json(t)
		var got []string
		for _, it := range body["items"].([]any) {
			got = append(got, it.(map[string]any)["subject"].(string))
		}
		if strings.Join(got, "|") == strings.Join(want, "|") && body["total"] == float64(len(want)) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /support/conversations%s: %v, want %v (%s)", query, got, want, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *supportClient) testLists(t *testing.T) {
	// Newest activity first: the second was closed after the first's last message.
	body := c.list(t, c.ada, "", "Invoice address", "Sticky E key")
	item := body["items"].([]any)[1].(map[string]any)
	if ms := messages(item); len(ms) != 1 || ms[0]["text"] != "Thanks!" || item["message_count"] != 3.0 || body["page"] != 1.0 || body["per_page"] != 24.0 {
		t.Fatalf("list item %v", item)
	}
	c.list(t, c.ada, "?status=open", "Sticky E key")
	c.list(t, c.ada, "?status=closed", "Invoice address")
	c.list(t, c.grace, "", "Shipping to Norway")
	c.list(t, c.admin, "?status=open", "Shipping to Norway", "Sticky E key")
	if r := c.f.do(t, "GET", "/api/v1/support/conversations?status=open&per_page=1&page=2", nil, c.admin).json(t); r["total"] != 2.0 ||
		len(r["items"].([]any)) != 1 || r["items"].([]any)[0].(map[string]any)["subject"] != "Sticky E key" {
		t.Fatalf("page 2 of 1: %v", r)
	}
	if r := c.f.do(t, "GET", "/api/v1/support/conversations?page=9", nil, c.ada).json(t); len(r["items"].([]any)) != 0 || r["total"] != 2.0 {
		t.Fatalf("past the end: %v", r)
	}
}

type sse struct {
	id, event, data string
}

// stream opens a conversation's event stream; it returns the status and, for 200, the events
// as they come (the channel closes when the stream ends).
func (c *supportClient) stream(t *testing.T, token, id, lastEventID string) (int, <-chan sse) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", c.f.base+"/api/v1/support/conversations/"+id+"/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	out := make(chan sse, 100)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" {
					out <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return 200, out
}

func next(t *testing.T, events <-chan sse) (sse, map[string]any) {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(ev.data), &m); err != nil || ev.event != "message" {
			t.Fatalf("event %+v: %v", ev, err)
		}
		return ev, m
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return sse{}, nil
}

func (c *supportClient) testStream(t *testing.T) {
	if status, _ := c.stream(t, c.grace, c.first, ""); status != 404 {
		t.Fatalf("another customer's stream: %d", status)
	}
	if status, _ := c.stream(t, "", c.first, ""); status != 401 {
		t.Fatalf("anonymous stream: %d", status)
	}
	// Resume after the second message: the third, then what is written live, once each.
	_, events := c.stream(t, c.ada, c.first, "2")
	if ev, m := next(t, events); ev.id != "3" || m["text"] != "Thanks!" {
		t.Fatalf("catch-up %+v", ev)
	}
	_, staffView := c.stream(t, c.admin, c.first, "3")
	for i, text := range []string{"Is the new keycap there?", "Yes, it fits."} {
		token := c.ada
		if i == 1 {
			token = c.admin
		}
		r := c.post(t, token, c.first, text)
		if r.status != 201 {
			t.Fatalf("POST message: %d %s", r.status, r.body)
		}
		for _, s := range []<-chan sse{events, staffView} {
			ev, m := next(t, s)
			if ev.id != formatSeq(r.json(t)["sequence"]) || m["text"] != text || m["id"] != r.json(t)["id"] {
				t.Fatalf("live event %+v, want message %s", ev, r.body)
			}
		}
	}
	// A client that saw up to 4 comes back: only 5.
	_, again := c.stream(t, c.ada, c.first, "4")
	if ev, _ := next(t, again); ev.id != "5" {
		t.Fatalf("resumed at %s, want 5", ev.id)
	}
	select {
	case ev := <-again:
		t.Fatalf("a duplicate or unexpected event %+v", ev)
	case <-time.After(700 * time.Millisecond):
	}
}

func formatSeq(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (c *supportClient) testMail(t *testing.T) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		entries, _ := os.ReadDir(c.f.mailDir)
		n := 0
		for _, e := range entries {
			raw, err := os.ReadFile(filepath.Join(c.f.mailDir, e.Name()))
			if err == nil && strings.Contains(e.Name(), "support_message") && strings.Contains(string(raw), adminEmail) {
				n++
			}
		}
		// One per conversation: the first messages of the three; the later ones came within 10 minutes.
		if n == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d support mails to %s in %s, want 3", n, adminEmail, c.f.mailDir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *supportClient) testLogout(t *testing.T) {
	_, events := c.stream(t, c.ada, c.first, "5")
	if r := c.f.do(t, "POST", "/api/v1/auth/logout", map[string]any{"refresh_token": c.adaRefresh}, c.ada); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	select {
	case ev, ok := <-events:
		if ok {
			t.Fatalf("event %+v after logout", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream outlived the session")
	}
}
