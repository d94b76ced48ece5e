// Package stripestandin is the local Stripe API that `make run` and the tests use: a proxy in
// front of stripe-mock (the pinned tool, which knows every endpoint's shape and validates
// requests against Stripe's OpenAPI document) that adds what stripe-mock leaves out and
// checkout relies on, as Stripe's test mode does it:
//
//   - a confirmed PaymentIntent succeeds, or, for the test PaymentMethods that decline
//     (pm_card_chargeDeclined, pm_card_chargeDeclinedInsufficientFunds, ...), fails with a
//     402 card_error carrying the PaymentIntent (stripe-mock alone never declines);
//   - created objects get their own ids and echo the amount, currency and PaymentMethod;
//   - a POST with an Idempotency-Key is answered once and replayed after (Idempotent-Replayed:
//     true); the same key with other parameters is a 400 idempotency_error.
//
// Keys are kept in memory for 24 hours, as Stripe keeps them.
package stripestandin

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// decline returns the code and decline code of the test PaymentMethods that decline.
func decline(pm string) (code, declineCode string, ok bool) {
	switch pm {
	case "pm_card_chargeDeclined", "pm_card_visa_chargeDeclined":
		return "card_declined", "generic_decline", true
	case "pm_card_chargeDeclinedInsufficientFunds":
		return "card_declined", "insufficient_funds", true
	case "pm_card_chargeDeclinedFraudulent":
		return "card_declined", "fraudulent", true
	case "pm_card_chargeDeclinedExpiredCard":
		return "expired_card", "expired_card", true
	case "pm_card_chargeDeclinedIncorrectCvc":
		return "incorrect_cvc", "incorrect_cvc", true
	}
	return "", "", false
}

// keyTTL is how long an idempotency key is remembered.
const keyTTL = 24 * time.Hour

// Handler is the proxy.
type Handler struct {
	mock *httputil.ReverseProxy
	base *url.URL

	mu   sync.Mutex
	keys map[string]*answer
	// Requests counts the requests that reached stripe-mock, by path (tests read it).
	requests map[string]int
}

type answer struct {
	digest  [32]byte
	status  int
	body    []byte
	expires time.Time
	done    chan struct{}
}

// New returns the proxy to the stripe-mock at mockURL ("http://127.0.0.1:12111").
func New(mockURL string) (*Handler, error) {
	u, err := url.Parse(mockURL)
	if err != nil {
		return nil, fmt.Errorf("stripe-mock URL: %w", err)
	}
	return &Handler{mock: httputil.NewSingleHostReverseProxy(u), base: u, keys: map[string]*answer{}, requests: map[string]int{}}, nil
}

// Requests returns how many requests for path reached stripe-mock.
func (h *Handler) Requests(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests[path]
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if r.Method != http.MethodPost || key == "" {
		h.answer(w, r, body)
		return
	}
	id := r.Header.Get("Authorization") + "\x00" + r.URL.Path + "\x00" + key
	digest := sha256.Sum256(body)
	h.mu.Lock()
	now := time.Now()
	for k, a := range h.keys {
		if now.After(a.expires) {
			delete(h.keys, k)
		}
	}
	a, seen := h.keys[id]
	if !seen {
		a = &answer{digest: digest, expires: now.Add(keyTTL), done: make(chan struct{})}
		h.keys[id] = a
	}
	h.mu.Unlock()
	if seen {
		<-a.done // a concurrent first request finishes first
		if a.digest != digest {
			writeError(w, http.StatusBadRequest, map[string]any{"type": "idempotency_error",
				"message": "Keys for idempotent requests can only be used with the same parameters they were first used with."})
			return
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
		return
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	h.answer(rec, r, body)
	a.status, a.body = rec.status, rec.buf.Bytes()
	if a.status >= 500 {
		// Stripe does not keep the answers of its own failures: the retry is a new attempt.
		h.mu.Lock()
		delete(h.keys, id)
		h.mu.Unlock()
	}
	close(a.done)
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// answer serves one request: through stripe-mock, then shaped as Stripe would answer.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, body []byte) {
	h.mu.Lock()
	h.requests[r.URL.Path]++
	h.mu.Unlock()
	form, _ := url.ParseQuery(string(body))
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/payment_intents":
		h.createPaymentIntent(w, r, body, form)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
		h.createRefund(w, r, body, form)
	default:
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		h.mock.ServeHTTP(w, r)
	}
}

// forward sends the request to stripe-mock and decodes its JSON answer.
func (h *Handler) forward(r *http.Request, body []byte) (int, map[string]any, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, h.base.ResolveReference(&url.URL{Path: r.URL.Path}).String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for _, k := range []string{"Authorization", "Content-Type", "Stripe-Version"} {
		req.Header.Set(k, r.Header.Get(k))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return 0, nil, fmt.Errorf("stripe-mock answered no JSON: %w", err)
	}
	return res.StatusCode, out, nil
}

func (h *Handler) createPaymentIntent(w http.ResponseWriter, r *http.Request, body []byte, form url.Values) {
	status, pi, err := h.forward(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if status != http.StatusOK {
		writeJSON(w, status, pi)
		return
	}
	pi["id"] = "pi_" + randomID()
	pi["client_secret"] = pi["id"].(string) + "_secret_" + randomID()
	if amount, err := parseInt(form.Get("amount")); err == nil {
		pi["amount"] = amount
	}
	pi["currency"] = form.Get("currency")
	pm := form.Get("payment_method")
	pi["payment_method"] = pm
	pi["metadata"] = metadata(form)
	pi["last_payment_error"] = nil
	pi["next_action"] = nil
	pi["created"] = time.Now().Unix()
	if form.Get("confirm") != "true" {
		pi["status"], pi["amount_received"] = "requires_confirmation", 0
		writeJSON(w, http.StatusOK, pi)
		return
	}
	if code, declineCode, declined := decline(pm); declined {
		pi["status"], pi["amount_received"] = "requires_payment_method", 0
		e := func() map[string]any {
			return map[string]any{"type": "card_error", "code": code, "decline_code": declineCode, "message": "Your card was declined.",
				"doc_url": "https://stripe.com/docs/error-codes/" + code}
		}
		pi["last_payment_error"] = e()
		body := e()
		body["payment_intent"] = pi
		writeError(w, http.StatusPaymentRequired, body)
		return
	}
	pi["status"], pi["amount_received"] = "succeeded", pi["amount"]
	writeJSON(w, http.StatusOK, pi)
}

func (h *Handler) createRefund(w http.ResponseWriter, r *http.Request, body []byte, form url.Values) {
	status, re, err := h.forward(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if status != http.StatusOK {
		writeJSON(w, status, re)
		return
	}
	re["id"] = "re_" + randomID()
	if amount, err := parseInt(form.Get("amount")); err == nil {
		re["amount"] = amount
	}
	re["payment_intent"] = form.Get("payment_intent")
	re["status"] = "succeeded"
	re["metadata"] = metadata(form)
	re["created"] = time.Now().Unix()
	writeJSON(w, http.StatusOK, re)
}

func metadata(form url.Values) map[string]string {
	out := map[string]string{}
	for k, v := range form {
		if strings.HasPrefix(k, "metadata[") && strings.HasSuffix(k, "]") && len(v) > 0 {
			out[k[len("metadata["):len(k)-1]] = v[0]
		}
	}
	return out
}

func parseInt(s string) (int64, error) {
	var n int64
	_, err := fmt.Sscan(s, &n)
	return n, err
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, e map[string]any) {
	writeJSON(w, status, map[string]any{"error": e})
}

// recorder keeps a response to replay it.
type recorder struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(status int)      { r.status = status }
func (r *recorder) Write(b []byte) (int, error) { return r.buf.Write(b) }
