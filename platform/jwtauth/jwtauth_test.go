package jwtauth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func newKey(t *testing.T, id string) Key {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Key{ID: id, Private: priv}
}

func keySet(t *testing.T, keys ...Key) *KeySet {
	var set JWKS
	for _, k := range keys {
		set.Keys = append(set.Keys, PublicJWK(k))
	}
	doc, _ := json.Marshal(set)
	parsed, err := ParseJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	return NewKeySet(parsed)
}

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func claims() Claims {
	return Claims{UserID: "u1", Role: "customer", SessionID: "s1", IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
}

func TestSignVerify_RoundTripAndRotation(t *testing.T) {
	old, cur := newKey(t, "k1"), newKey(t, "k2")
	set := keySet(t, old, cur)
	for _, k := range []Key{old, cur} {
		tok, err := Sign(k, claims())
		if err != nil {
			t.Fatal(err)
		}
		got, err := set.Verify(tok, now.Add(time.Hour))
		if err != nil {
			t.Fatalf("verify with %s: %v", k.ID, err)
		}
		if got.UserID != "u1" || got.SessionID != "s1" || got.Role != "customer" || !got.IssuedAt.Equal(now) {
			t.Fatalf("claims = %+v", got)
		}
		if KeyID(tok) != k.ID {
			t.Fatalf("KeyID = %q", KeyID(tok))
		}
	}
}

func TestVerify_RefusesBadTokens(t *testing.T) {
	k := newKey(t, "k1")
	set := keySet(t, k)
	good, _ := Sign(k, claims())
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString

	// alg none: same payload, no signature.
	none := enc([]byte(`{"alg":"none","typ":"JWT","kid":"k1"}`)) + "." + parts[1] + "."
	// algorithm confusion: HS256 keyed with the public key bytes.
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u1", "sid": "s1", "role": "admin",
		"iss": Issuer, "aud": Audience, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()})
	hs.Header["kid"] = "k1"
	confused, _ := hs.SignedString([]byte(k.Private.Public().(ed25519.PublicKey)))
	// tampered payload: role raised to admin, signature kept.
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + enc([]byte(strings.Replace(string(payload), `"customer"`, `"admin"`, 1))) + "." + parts[2]
	other, _ := Sign(newKey(t, "k9"), claims())
	expiredClaims := claims()
	expiredClaims.ExpiresAt = now.Add(time.Minute)
	expired, _ := Sign(k, expiredClaims)

	tests := map[string]string{
		"alg none":         none,
		"HS256 confusion":  confused,
		"tampered payload": tampered,
		"unknown key":      other,
		"expired":          expired,
		"garbage":          "not.a.token",
		"empty":            "",
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := set.Verify(tok, now.Add(2*time.Minute)); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %v, want ErrInvalidToken", err)
			}
		})
	}
}
