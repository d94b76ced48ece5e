// Package paypalstandin is the local PayPal that `make run` and the tests use in place of
// PayPal's sandbox (unreachable here). It speaks the part of PayPal's REST API that the
// payments service uses, with PayPal's shapes and rules:
//
//   - POST /v1/oauth2/token: client-credentials tokens (Basic auth with the configured id
//     and secret), valid for ExpiresIn; other tokens are refused with 401;
//   - POST /v2/checkout/orders: an order of intent CAPTURE, PAYER_ACTION_REQUIRED, with a
//     "payer-action" link (and "approve" for the older application_context form);
//   - GET /checkoutnow?token=<order id>: the buyer's approval page; opening it approves the
//     order (APPROVED) and redirects to the order's return_url when it has one;
//   - GET /v2/checkout/orders/{id};
//   - POST /v2/checkout/orders/{id}/capture: 422 ORDER_NOT_APPROVED before approval,
//     COMPLETED with one capture after it, 422 ORDER_ALREADY_CAPTURED after that;
//   - POST /v2/payments/captures/{id}/refund: refunds of a capture, never beyond it (422
//     REFUND_AMOUNT_EXCEEDED).
//
// Every POST honours PayPal-Request-Id as PayPal does: a repeated id gets the first answer.
//
// Webhooks: with SetWebhook, captures and refunds are notified (PAYMENT.CAPTURE.COMPLETED,
// PAYMENT.CAPTURE.REFUNDED) to the URL, as PayPal notifies a webhook, and
// POST /v1/notifications/verify-webhook-signature answers whether a delivery is genuine. The
// stand-in signs with an HMAC of PayPal's signed string (transmission id|time|webhook
// id|CRC32 of the body) instead of PayPal's certificates; a receiver never checks either
// itself: it asks the API, as PayPal documents.
package paypalstandin

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Handler is the stand-in.
type Handler struct {
	clientID, secret string
	// ExpiresIn is the tokens' lifetime (default 9 h, as PayPal's).
	ExpiresIn time.Duration

	mu       sync.Mutex
	base     string // this server's URL, for links; from the first request when empty
	tokens   map[string]time.Time
	orders   map[string]*order
	captures map[string]*capture
	replies  map[string]reply // PayPal-Request-Id → first answer
	// Calls counts requests by "METHOD path-pattern" (tests read it).
	calls map[string]int

	webhookURL, webhookID string
	signingKey            []byte
	client                *http.Client
}

// SetWebhook makes the stand-in notify captures and refunds to url, as the webhook id.
func (h *Handler) SetWebhook(url, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.webhookURL, h.webhookID = url, id
}

// Refund refunds amountMinor of a capture as PayPal's dashboard would (not through the API's
// request ids), and notifies it.
func (h *Handler) Refund(captureID string, amountMinor int64) (string, error) {
	status, body := h.refundMinor(captureID, amountMinor)
	if status != http.StatusCreated {
		return "", fmt.Errorf("refund: %d %v", status, body)
	}
	return body.(map[string]any)["id"].(string), nil
}

type reply struct {
	status int
	body   []byte
}

type order struct {
	ID        string
	Status    string
	Amount    amount
	ReturnURL string
	CustomID  string
	Capture   string
}

type capture struct {
	ID       string
	Amount   amount
	Refunded int64 // minor units
}

type amount struct {
	CurrencyCode string `json:"currency_code"`
	Value        string `json:"value"`
}

// New returns a stand-in that accepts the client id and secret.
func New(clientID, secret string) *Handler {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Handler{clientID: clientID, secret: secret, ExpiresIn: 9 * time.Hour, tokens: map[string]time.Time{},
		orders: map[string]*order{}, captures: map[string]*capture{}, replies: map[string]reply{}, calls: map[string]int{},
		signingKey: key, client: &http.Client{Timeout: 10 * time.Second}}
}

// SetBase sets the URL links point at (the server's own address).
func (h *Handler) SetBase(url string) {
	h.mu.Lock()
	h.base = strings.TrimSuffix(url, "/")
	h.mu.Unlock()
}

// Calls returns how many requests the pattern got ("POST /v2/checkout/orders/{id}/capture").
func (h *Handler) Calls(pattern string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[pattern]
}

// Orders and Captures count the orders created and the captures made.
func (h *Handler) Orders() int   { h.mu.Lock(); defer h.mu.Unlock(); return len(h.orders) }
func (h *Handler) Captures() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.captures) }

// Approve approves an order as the buyer opening its approval link would.
func (h *Handler) Approve(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	o, ok := h.orders[id]
	if ok && o.Status == "PAYER_ACTION_REQUIRED" {
		o.Status = "APPROVED"
	}
	return ok
}

func newID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + strings.ToUpper(hex.EncodeToString(b))
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.base == "" {
		h.base = "http://" + r.Host
	}
	h.mu.Unlock()
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case r.Method == http.MethodPost && path == "/v1/oauth2/token":
		h.count("POST /v1/oauth2/token")
		h.token(w, r)
	case r.Method == http.MethodGet && path == "/checkoutnow":
		h.count("GET /checkoutnow")
		h.approvePage(w, r)
	case !h.authorized(r):
		writeError(w, http.StatusUnauthorized, "AUTHENTICATION_FAILURE", "Authentication failed due to invalid authentication credentials or a missing Authorization header.", "")
	case r.Method == http.MethodPost && path == "/v1/notifications/verify-webhook-signature":
		h.count("POST /v1/notifications/verify-webhook-signature")
		h.verify(w, r)
	case r.Method == http.MethodPost && path == "/v2/checkout/orders":
		h.idempotent(w, r, "POST /v2/checkout/orders", h.createOrder)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/v2/checkout/orders/"):
		h.count("GET /v2/checkout/orders/{id}")
		h.mu.Lock()
		o, ok := h.orders[strings.TrimPrefix(path, "/v2/checkout/orders/")]
		h.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID")
			return
		}
		writeJSON(w, http.StatusOK, h.orderJSON(o))
	case r.Method == http.MethodPost && strings.HasPrefix(path, "/v2/checkout/orders/") && strings.HasSuffix(path, "/capture"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/v2/checkout/orders/"), "/capture")
		h.idempotent(w, r, "POST /v2/checkout/orders/{id}/capture", func(r *http.Request) (int, any) { return h.capture(id) })
	case r.Method == http.MethodPost && strings.HasPrefix(path, "/v2/payments/captures/") && strings.HasSuffix(path, "/refund"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/v2/payments/captures/"), "/refund")
		h.idempotent(w, r, "POST /v2/payments/captures/{id}/refund", func(r *http.Request) (int, any) { return h.refund(r, id) })
	default:
		writeError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource was not found.", "")
	}
}

func (h *Handler) count(pattern string) { h.mu.Lock(); h.calls[pattern]++; h.mu.Unlock() }

func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != h.clientID || secret != h.secret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client Authentication failed"})
		return
	}
	tok := newID("A21AA")
	h.mu.Lock()
	h.tokens[tok] = time.Now().Add(h.ExpiresIn)
	h.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"scope": "https://uri.paypal.com/services/payments/payment", "access_token": tok,
		"token_type": "Bearer", "app_id": "APP-STANDIN", "expires_in": int(h.ExpiresIn.Seconds()), "nonce": newID("")})
}

func (h *Handler) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	h.mu.Lock()
	defer h.mu.Unlock()
	exp, known := h.tokens[tok]
	return ok && known && time.Now().Before(exp)
}

// idempotent answers a POST once per PayPal-Request-Id.
func (h *Handler) idempotent(w http.ResponseWriter, r *http.Request, pattern string, do func(*http.Request) (int, any)) {
	h.count(pattern)
	key := r.Header.Get("PayPal-Request-Id")
	if key != "" {
		h.mu.Lock()
		prev, seen := h.replies[pattern+"\x00"+r.URL.Path+"\x00"+key]
		h.mu.Unlock()
		if seen {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(prev.status)
			_, _ = w.Write(prev.body)
			return
		}
	}
	status, v := do(r)
	body, _ := json.Marshal(v)
	// Only answers of requests that were carried out are kept: a refused one (not approved
	// yet) may succeed when sent again with its id.
	if key != "" && status < 300 {
		h.mu.Lock()
		h.replies[pattern+"\x00"+r.URL.Path+"\x00"+key] = reply{status, body}
		h.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (h *Handler) createOrder(r *http.Request) (int, any) {
	var req struct {
		Intent        string `json:"intent"`
		PurchaseUnits []struct {
			Amount   *amount `json:"amount"`
			CustomID string  `json:"custom_id"`
		} `json:"purchase_units"`
		PaymentSource struct {
			PayPal struct {
				ExperienceContext struct {
					ReturnURL string `json:"return_url"`
				} `json:"experience_context"`
			} `json:"paypal"`
		} `json:"payment_source"`
		ApplicationContext struct {
			ReturnURL string `json:"return_url"`
		} `json:"application_context"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return errorBody(http.StatusBadRequest, "INVALID_REQUEST", "Request is not well-formed.", "MALFORMED_REQUEST_JSON")
	}
	if req.Intent != "CAPTURE" || len(req.PurchaseUnits) != 1 || req.PurchaseUnits[0].Amount == nil {
		return errorBody(http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.", "INVALID_PARAMETER_VALUE")
	}
	if _, err := minor(req.PurchaseUnits[0].Amount.Value); err != nil {
		return errorBody(http.StatusBadRequest, "INVALID_REQUEST", "Request is not well-formed.", "INVALID_PARAMETER_SYNTAX")
	}
	o := &order{ID: newID(""), Status: "PAYER_ACTION_REQUIRED", Amount: *req.PurchaseUnits[0].Amount, CustomID: req.PurchaseUnits[0].CustomID,
		ReturnURL: req.PaymentSource.PayPal.ExperienceContext.ReturnURL}
	if o.ReturnURL == "" {
		o.ReturnURL = req.ApplicationContext.ReturnURL
	}
	h.mu.Lock()
	h.orders[o.ID] = o
	h.mu.Unlock()
	return http.StatusOK, h.orderJSON(o)
}

func (h *Handler) orderJSON(o *order) map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	links := []map[string]string{{"href": h.base + "/v2/checkout/orders/" + o.ID, "rel": "self", "method": "GET"}}
	if o.Status == "PAYER_ACTION_REQUIRED" {
		approve := h.base + "/checkoutnow?token=" + o.ID
		links = append(links, map[string]string{"href": approve, "rel": "payer-action", "method": "GET"},
			map[string]string{"href": approve, "rel": "approve", "method": "GET"})
	}
	unit := map[string]any{"reference_id": "default", "amount": o.Amount, "custom_id": o.CustomID}
	if o.Capture != "" {
		c := h.captures[o.Capture]
		unit["payments"] = map[string]any{"captures": []map[string]any{{"id": c.ID, "status": "COMPLETED", "amount": c.Amount, "final_capture": true}}}
	}
	return map[string]any{"id": o.ID, "intent": "CAPTURE", "status": o.Status, "purchase_units": []any{unit}, "links": links}
}

func (h *Handler) approvePage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("token")
	if !h.Approve(id) {
		http.Error(w, "no such PayPal order", http.StatusNotFound)
		return
	}
	h.mu.Lock()
	ret := h.orders[id].ReturnURL
	h.mu.Unlock()
	if ret != "" {
		sep := "?"
		if strings.Contains(ret, "?") {
			sep = "&"
		}
		http.Redirect(w, r, ret+sep+"token="+id, http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><title>PayPal (local)</title><p>Payment approved. You can return to the store.</p>")
}

func (h *Handler) capture(id string) (int, any) {
	h.mu.Lock()
	o, ok := h.orders[id]
	if !ok {
		h.mu.Unlock()
		return errorBody(http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID")
	}
	switch o.Status {
	case "PAYER_ACTION_REQUIRED":
		h.mu.Unlock()
		return errorBody(http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.", "ORDER_NOT_APPROVED")
	case "COMPLETED":
		h.mu.Unlock()
		return errorBody(http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.", "ORDER_ALREADY_CAPTURED")
	}
	c := &capture{ID: newID("CAP"), Amount: o.Amount}
	h.captures[c.ID] = c
	o.Status, o.Capture = "COMPLETED", c.ID
	h.mu.Unlock()
	go h.notify("PAYMENT.CAPTURE.COMPLETED", map[string]any{"id": c.ID, "status": "COMPLETED", "amount": c.Amount, "custom_id": o.CustomID,
		"supplementary_data": map[string]any{"related_ids": map[string]string{"order_id": o.ID}}})
	return http.StatusCreated, h.orderJSON(o)
}

func (h *Handler) refund(r *http.Request, captureID string) (int, any) {
	var req struct {
		Amount *amount `json:"amount"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	amt := int64(-1)
	if req.Amount != nil {
		var err error
		if amt, err = minor(req.Amount.Value); err != nil {
			return errorBody(http.StatusBadRequest, "INVALID_REQUEST", "Request is not well-formed.", "INVALID_PARAMETER_SYNTAX")
		}
	}
	return h.refundMinor(captureID, amt)
}

// refundMinor refunds amt (-1: the rest) of a capture and notifies it.
func (h *Handler) refundMinor(captureID string, amt int64) (int, any) {
	h.mu.Lock()
	c, ok := h.captures[captureID]
	if !ok {
		h.mu.Unlock()
		return errorBody(http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "INVALID_RESOURCE_ID")
	}
	total, _ := minor(c.Amount.Value)
	if amt < 0 {
		amt = total - c.Refunded
	}
	if amt <= 0 || c.Refunded+amt > total {
		h.mu.Unlock()
		return errorBody(http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", "The requested action could not be performed.", "REFUND_AMOUNT_EXCEEDED")
	}
	c.Refunded += amt
	base := h.base
	h.mu.Unlock()
	ref := map[string]any{"id": newID("REF"), "status": "COMPLETED",
		"amount": amount{CurrencyCode: c.Amount.CurrencyCode, Value: fmt.Sprintf("%d.%02d", amt/100, amt%100)},
		"links":  []map[string]string{{"href": base + "/v2/payments/captures/" + c.ID, "rel": "up", "method": "GET"}}}
	go h.notify("PAYMENT.CAPTURE.REFUNDED", ref)
	return http.StatusCreated, ref
}

// signature is the stand-in's signature of a delivery.
func (h *Handler) signature(transmissionID, at, webhookID string, body []byte) string {
	mac := hmac.New(sha256.New, h.signingKey)
	fmt.Fprintf(mac, "%s|%s|%s|%d", transmissionID, at, webhookID, crc32.ChecksumIEEE(body))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// notify delivers a webhook event, as PayPal does, when a webhook is set.
func (h *Handler) notify(eventType string, resource map[string]any) {
	h.mu.Lock()
	url, id := h.webhookURL, h.webhookID
	h.mu.Unlock()
	if url == "" {
		return
	}
	body, _ := json.Marshal(map[string]any{"id": newID("WH-"), "event_version": "1.0", "create_time": time.Now().UTC().Format(time.RFC3339),
		"resource_type": strings.ToLower(strings.Split(eventType, ".")[1]), "event_type": eventType, "resource": resource})
	tid, at := newID(""), time.Now().UTC().Format(time.RFC3339)
	for attempt := range 5 {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Paypal-Transmission-Id", tid)
		req.Header.Set("Paypal-Transmission-Time", at)
		req.Header.Set("Paypal-Transmission-Sig", h.signature(tid, at, id, body))
		req.Header.Set("Paypal-Cert-Url", h.base+"/v1/notifications/certs/standin")
		req.Header.Set("Paypal-Auth-Algo", "SHA256withRSA")
		if res, err := h.client.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode < 300 {
				return
			}
		}
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	var req struct {
		TransmissionID   string          `json:"transmission_id"`
		TransmissionSig  string          `json:"transmission_sig"`
		TransmissionTime string          `json:"transmission_time"`
		WebhookID        string          `json:"webhook_id"`
		Event            json.RawMessage `json:"webhook_event"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "Request is not well-formed.", "MALFORMED_REQUEST_JSON")
		return
	}
	h.mu.Lock()
	id := h.webhookID
	h.mu.Unlock()
	status := "FAILURE"
	if req.WebhookID == id && hmac.Equal([]byte(req.TransmissionSig), []byte(h.signature(req.TransmissionID, req.TransmissionTime, req.WebhookID, req.Event))) {
		status = "SUCCESS"
	}
	writeJSON(w, http.StatusOK, map[string]string{"verification_status": status})
}

// minor reads a two-decimal amount ("12.50") as minor units.
func minor(v string) (int64, error) {
	whole, frac, _ := strings.Cut(v, ".")
	if len(frac) > 2 {
		return 0, fmt.Errorf("amount %q", v)
	}
	frac += strings.Repeat("0", 2-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("amount %q", v)
	}
	return n, nil
}

func errorBody(status int, name, message, issue string) (int, any) {
	body := map[string]any{"name": name, "message": message, "debug_id": newID("")}
	if issue != "" {
		body["details"] = []map[string]string{{"issue": issue, "description": message}}
	}
	return status, body
}

func writeError(w http.ResponseWriter, status int, name, message, issue string) {
	_, body := errorBody(status, name, message, issue)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
