package adapters_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/storefront/storefront/platform/devenv"
	"github.com/storefront/storefront/platform/es"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/events"
	"github.com/storefront/storefront/platform/jwtauth"
	"github.com/storefront/storefront/platform/revocation"
	"github.com/storefront/storefront/platform/testkit/pgtest"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
	"github.com/storefront/storefront/services/identity/internal/adapters"
	"github.com/storefront/storefront/services/identity/internal/app"
)

func TestKeys_RotateKeepsOldTokensVerifiableUntilTheyExpire(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, adapters.Migrations("identity"))
	t0 := time.Now()
	keys, err := adapters.NewKeys(ctx, db.Pool, "identity", 24*time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	old, err := keys.Issue("u1", "customer", "s1", t0, t0)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(token string, at time.Time) error {
		t.Helper()
		doc, _ := keys.JWKS(ctx)
		set, err := jwtauth.ParseJWKS(doc)
		if err != nil {
			t.Fatal(err)
		}
		_, err = jwtauth.NewKeySet(set).Verify(token, at)
		return err
	}
	// Not due: no new key.
	if err := keys.Rotate(ctx, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if doc, _ := keys.JWKS(ctx); strings.Count(string(doc), `"kid"`) != 1 {
		t.Fatalf("rotated before due: %s", doc)
	}
	// Due: a new signing key; the old one stays published.
	t1 := t0.Add(25 * time.Hour)
	if err := keys.Rotate(ctx, t1); err != nil {
		t.Fatal(err)
	}
	fresh, _ := keys.Issue("u1", "customer", "s1", t1, t1)
	if jwtauth.KeyID(fresh) == jwtauth.KeyID(old) {
		t.Fatal("rotation did not change the signing key")
	}
	if err := verify(old, t0.Add(30*time.Minute)); err != nil {
		t.Fatalf("a token of the previous key no longer verifies: %v", err)
	}
	if err := verify(fresh, t1.Add(time.Minute)); err != nil {
		t.Fatalf("new token: %v", err)
	}
	// Once the previous key's tokens have expired, it leaves the JWKS.
	if err := keys.Rotate(ctx, t1.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if doc, _ := keys.JWKS(ctx); strings.Contains(string(doc), jwtauth.KeyID(old)) {
		t.Fatalf("retired key still published: %s", doc)
	}
}

func TestRevocationSync_RewritesTheListWhenRedisLostIt(t *testing.T) {
	ctx := context.Background()
	if !devenv.RedisAnswers(ctx, devenv.LocalRedisURL) {
		t.Fatal("no Redis on 127.0.0.1:6379: start it (redis-server --daemonize yes --port 6379 --save '')")
	}
	opts, _ := redis.ParseURL(devenv.LocalRedisURL)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	keys := revocation.Keys{Prefix: fmt.Sprintf("test%d:", time.Now().UnixNano())}
	store := memstore.New()
	reg := events.NewRegistry().Register(&identityv1.SessionRevoked{}, &identityv1.PasswordSet{}, &identityv1.SessionStarted{})
	appendEvent := func(stream string, m *identityv1.SessionRevoked) {
		d, _ := reg.Encode(m, es.Metadata{})
		if _, err := store.Append(ctx, stream, es.Any, []es.EventData{d}); err != nil {
			t.Fatal(err)
		}
	}
	appendEvent("session-s1", &identityv1.SessionRevoked{SessionId: "s1", Reason: "logout"})
	reset, _ := reg.Encode(&identityv1.PasswordSet{UserId: "u9", Reason: "reset", SetAt: time.Now().UnixMicro()}, es.Metadata{})
	if _, err := store.Append(ctx, "user-u9", es.Any, []es.EventData{reset}); err != nil {
		t.Fatal(err)
	}
	sync := adapters.RevocationSync{Redis: rdb, Keys: keys, Events: store, Registry: reg, Log: slog.New(slog.DiscardHandler)}
	if err := sync.SyncIfLost(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Del(ctx, keys.Complete(), keys.Session("s1"), keys.User("u9")) })
	for _, k := range []string{keys.Complete(), keys.Session("s1"), keys.User("u9")} {
		if n, _ := rdb.Exists(ctx, k).Result(); n != 1 {
			t.Fatalf("key %s not written", k)
		}
	}
	// With the sentinel present, nothing is replayed: a key deleted now stays deleted.
	rdb.Del(ctx, keys.Session("s1"))
	if err := sync.SyncIfLost(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctx, keys.Session("s1")).Result(); n != 0 {
		t.Fatal("replayed although the list was complete")
	}
}

func TestDirMailer_WritesOneFilePerMail(t *testing.T) {
	dir := t.TempDir()
	m := adapters.DirMailer{Dir: dir, Log: slog.New(slog.DiscardHandler)}
	if err := m.Send(context.Background(), app.Mail{To: "ada@example.com", Subject: "Hi", Body: "line 1\nline 2"}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("files = %v", files)
	}
	b, _ := os.ReadFile(files[0])
	for _, want := range []string{"To: ada@example.com\r\n", "Subject: Hi\r\n", "line 1\r\nline 2"} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("mail lacks %q:\n%s", want, b)
		}
	}
}
