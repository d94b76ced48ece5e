// Package jwtauth signs and verifies the fleet's access tokens: JWTs signed with Ed25519
// (alg EdDSA) under a key id, verified against a JWKS document. Only EdDSA is accepted, so
// "alg": "none" and algorithm-confusion tokens (HS256 keyed with a public key) are refused.
package jwtauth

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer and Audience of every access token.
const (
	Issuer   = "storefront-identity"
	Audience = "storefront"
)

// ErrInvalidToken covers every token that must be refused: malformed, badly signed, unknown
// key, expired, not yet valid, wrong issuer or audience.
var ErrInvalidToken = errors.New("jwtauth: invalid token")

// Claims are what an access token says of its bearer.
type Claims struct {
	UserID    string
	Role      string
	SessionID string
	// SessionStart is when the session began (login), to microseconds: a password reset ends
	// every session that began before it.
	SessionStart time.Time
	IssuedAt     time.Time
	ExpiresAt    time.Time
}

type tokenClaims struct {
	jwt.RegisteredClaims
	Role         string `json:"role"`
	SessionID    string `json:"sid"`
	SessionStart int64  `json:"sst"` // Unix microseconds
}

// Key is one Ed25519 signing key.
type Key struct {
	ID      string
	Private ed25519.PrivateKey
}

// Sign returns a token for c signed with k.
func Sign(k Key, c Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   c.UserID,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			NotBefore: jwt.NewNumericDate(c.IssuedAt.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
			ID:        c.SessionID + "." + fmt.Sprint(c.IssuedAt.UnixNano()),
		},
		Role:         c.Role,
		SessionID:    c.SessionID,
		SessionStart: c.SessionStart.UnixMicro(),
	})
	t.Header["kid"] = k.ID
	return t.SignedString(k.Private)
}

// JWK is one public key of a JWKS document (RFC 8037 for Ed25519).
type JWK struct {
	KeyType string `json:"kty"`
	Curve   string `json:"crv"`
	X       string `json:"x"`
	KeyID   string `json:"kid"`
	Use     string `json:"use"`
	Alg     string `json:"alg"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// PublicJWK describes the public half of k.
func PublicJWK(k Key) JWK {
	return JWK{KeyType: "OKP", Curve: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.Private.Public().(ed25519.PublicKey)),
		KeyID: k.ID, Use: "sig", Alg: "EdDSA"}
}

// KeySet verifies tokens against the public keys of a JWKS document; Replace swaps the keys
// (after a rotation) while verifications run. Safe for concurrent use.
type KeySet struct {
	mu   sync.RWMutex
	keys map[string]ed25519.PublicKey
}

// ParseJWKS reads a JWKS document, keeping its Ed25519 signing keys.
func ParseJWKS(doc []byte) (map[string]ed25519.PublicKey, error) {
	var set JWKS
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("jwtauth: parse JWKS: %w", err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		if k.KeyType != "OKP" || k.Curve != "Ed25519" || k.KeyID == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("jwtauth: JWKS key %s: bad x", k.KeyID)
		}
		keys[k.KeyID] = ed25519.PublicKey(x)
	}
	if len(keys) == 0 {
		return nil, errors.New("jwtauth: JWKS has no Ed25519 signing key")
	}
	return keys, nil
}

// NewKeySet returns a key set holding keys.
func NewKeySet(keys map[string]ed25519.PublicKey) *KeySet { return &KeySet{keys: keys} }

// Replace swaps in a new set of keys.
func (s *KeySet) Replace(keys map[string]ed25519.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

// Has reports whether the set holds the key id.
func (s *KeySet) Has(kid string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.keys[kid]
	return ok
}

// KeyID returns the kid header of a token without verifying it ("" if there is none), so a
// verifier can refresh its keys when it meets an unknown one.
func KeyID(token string) string {
	t, _, err := jwt.NewParser().ParseUnverified(token, &tokenClaims{})
	if err != nil {
		return ""
	}
	kid, _ := t.Header["kid"].(string)
	return kid
}

// Verify checks a token and returns its claims, or an error wrapping ErrInvalidToken.
func (s *KeySet) Verify(token string, now time.Time) (Claims, error) {
	var tc tokenClaims
	_, err := jwt.ParseWithClaims(token, &tc, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		s.mu.RLock()
		defer s.mu.RUnlock()
		k, ok := s.keys[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return k, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if tc.Subject == "" || tc.SessionID == "" || (tc.Role != "customer" && tc.Role != "admin") {
		return Claims{}, fmt.Errorf("%w: missing subject, session or role", ErrInvalidToken)
	}
	return Claims{UserID: tc.Subject, Role: tc.Role, SessionID: tc.SessionID, SessionStart: time.UnixMicro(tc.SessionStart).UTC(),
		IssuedAt: tc.IssuedAt.Time, ExpiresAt: tc.ExpiresAt.Time}, nil
}
