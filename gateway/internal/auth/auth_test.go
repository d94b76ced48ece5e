package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"

	"github.com/storefront/storefront/platform/devenv"
	"github.com/storefront/storefront/platform/jwtauth"
	"github.com/storefront/storefront/platform/revocation"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

type fakeIdentity struct {
	key      jwtauth.Key
	jwksHits int
	checks   int
	active   bool
	down     bool
}

func (f *fakeIdentity) GetJWKS(context.Context, *identityv1.GetJWKSRequest, ...grpc.CallOption) (*identityv1.GetJWKSResponse, error) {
	f.jwksHits++
	doc, _ := json.Marshal(jwtauth.JWKS{Keys: []jwtauth.JWK{jwtauth.PublicJWK(f.key)}})
	return &identityv1.GetJWKSResponse{JwksJson: string(doc)}, nil
}

func (f *fakeIdentity) CheckSession(context.Context, *identityv1.CheckSessionRequest, ...grpc.CallOption) (*identityv1.CheckSessionResponse, error) {
	f.checks++
	if f.down {
		return nil, errors.New("connection refused")
	}
	return &identityv1.CheckSessionResponse{Active: f.active}, nil
}

func setup(t *testing.T) (*fakeIdentity, *redis.Client, revocation.Keys) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	id := &fakeIdentity{key: jwtauth.Key{ID: "k1", Private: priv}, active: true}
	if !devenv.RedisAnswers(context.Background(), devenv.LocalRedisURL) {
		t.Fatal("no Redis on 127.0.0.1:6379: start it (redis-server --daemonize yes --port 6379 --save '')")
	}
	opts, _ := redis.ParseURL(devenv.LocalRedisURL)
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return id, rdb, revocation.Keys{Prefix: fmt.Sprintf("authtest%d:", time.Now().UnixNano())}
}

func token(t *testing.T, k jwtauth.Key, start time.Time) string {
	now := time.Now()
	tok, err := jwtauth.Sign(k, jwtauth.Claims{UserID: "u1", Role: "customer", SessionID: "s1", SessionStart: start, IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

func TestAuthenticate_RevocationListAndFallback(t *testing.T) {
	ctx := context.Background()
	id, rdb, keys := setup(t)
	a := New(id, rdb, keys, slog.New(slog.DiscardHandler))
	start := time.Now().Add(-time.Minute)
	tok := token(t, id.key, start)
	t.Cleanup(func() { rdb.Del(ctx, keys.Complete(), keys.Session("s1"), keys.User("u1")) })

	// An unknown key id fetches the JWKS; without the sentinel, identity is asked.
	p, err := a.Authenticate(ctx, tok)
	if err != nil || p.UserID != "u1" || p.SessionID != "s1" {
		t.Fatalf("first call: %+v %v", p, err)
	}
	if id.jwksHits != 1 || id.checks != 1 {
		t.Fatalf("jwks fetched %d times, identity checked %d times; want 1 and 1", id.jwksHits, id.checks)
	}
	// With a complete list in Redis, identity is not asked.
	rdb.Set(ctx, keys.Complete(), "x", time.Minute)
	if _, err := a.Authenticate(ctx, tok); err != nil || id.checks != 1 {
		t.Fatalf("with the list: err=%v checks=%d", err, id.checks)
	}
	rdb.Set(ctx, keys.User("u1"), start.Add(-time.Second).UnixMicro(), time.Minute)
	if _, err := a.Authenticate(ctx, tok); err != nil {
		t.Fatalf("a reset before the session began must not end it: %v", err)
	}
	rdb.Set(ctx, keys.User("u1"), start.Add(time.Second).UnixMicro(), time.Minute)
	if _, err := a.Authenticate(ctx, tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("session begun before a reset: %v", err)
	}
	rdb.Del(ctx, keys.User("u1"))
	rdb.Set(ctx, keys.Session("s1"), "1", time.Minute)
	if _, err := a.Authenticate(ctx, tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("revoked session: %v", err)
	}
	// The list lost (Redis restarted): identity decides again.
	rdb.Del(ctx, keys.Complete(), keys.Session("s1"))
	id.active = false
	if _, err := a.Authenticate(ctx, tok); !errors.Is(err, ErrInvalid) || id.checks != 2 {
		t.Fatalf("list lost, identity says inactive: %v (checks %d)", err, id.checks)
	}
	id.down = true
	if _, err := a.Authenticate(ctx, tok); err == nil || errors.Is(err, ErrInvalid) {
		t.Fatalf("identity unreachable must be an error of its own (503), got %v", err)
	}
}

func TestAuthenticate_MalformedHeadersAndForgedKeys(t *testing.T) {
	id, rdb, keys := setup(t)
	a := New(id, rdb, keys, slog.New(slog.DiscardHandler))
	if _, err := a.Authenticate(context.Background(), ""); !errors.Is(err, ErrNoToken) {
		t.Fatalf("empty: %v", err)
	}
	for _, h := range []string{"Bearer", "Basic abc", "Bearer not-a-jwt"} {
		if _, err := a.Authenticate(context.Background(), h); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", h, err)
		}
	}
	// Tokens naming unknown keys refresh the JWKS at most once per interval.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	for i := range 5 {
		forged := token(t, jwtauth.Key{ID: fmt.Sprintf("forged%d", i), Private: priv}, time.Now())
		if _, err := a.Authenticate(context.Background(), forged); !errors.Is(err, ErrInvalid) {
			t.Fatalf("forged token: %v", err)
		}
	}
	if id.jwksHits != 1 {
		t.Fatalf("JWKS fetched %d times for 5 forged tokens, want 1", id.jwksHits)
	}
}

func TestAuthenticate_ChecksASignatureOncePerToken(t *testing.T) {
	ctx := context.Background()
	id, rdb, keys := setup(t)
	a := New(id, rdb, keys, slog.New(slog.DiscardHandler))
	rdb.Set(ctx, keys.Complete(), "x", time.Minute)
	t.Cleanup(func() { rdb.Del(ctx, keys.Complete()) })
	tok := token(t, id.key, time.Now())
	if _, err := a.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	a.jwks.Replace(nil) // a signature check now would fail
	if _, err := a.Authenticate(ctx, tok); err != nil {
		t.Fatalf("verified token checked again: %v", err)
	}
	a.now = func() time.Time { return time.Now().Add(2 * time.Hour) } // past its expiry
	if _, err := a.Authenticate(ctx, tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an expired cached token was accepted: %v", err)
	}
}
