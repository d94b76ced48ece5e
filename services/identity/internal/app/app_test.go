package app_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	"github.com/storefront/storefront/platform/es/memstore"
	"github.com/storefront/storefront/platform/reqctx"
	"github.com/storefront/storefront/services/identity/internal/adapters"
	"github.com/storefront/storefront/services/identity/internal/app"
	"github.com/storefront/storefront/services/identity/internal/domain"
)

// plainHasher stands in for bcrypt: the app's logic, not the cost, is under test here.
type plainHasher struct{}

func (plainHasher) Hash(p string) (string, error) { return "hash:" + p, nil }
func (plainHasher) Compare(h, p string) error {
	if h != "hash:"+p {
		return errors.New("mismatch")
	}
	return nil
}
func (plainHasher) DummyHash() string { return "hash:" }

type fakeTokens struct{}

func (fakeTokens) Issue(userID, role, sessionID string, _, _ time.Time) (string, error) {
	return userID + "|" + role + "|" + sessionID, nil
}
func (fakeTokens) JWKS(context.Context) ([]byte, error) { return []byte(`{"keys":[]}`), nil }

type outbox struct {
	mu    sync.Mutex
	mails []app.Mail
}

func (o *outbox) Send(_ context.Context, m app.Mail) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mails = append(o.mails, m)
	return nil
}

type revocations struct {
	sessions []string
	users    []string
}

func (r *revocations) Revoke(_ context.Context, id string, _ time.Time) error {
	r.sessions = append(r.sessions, id)
	return nil
}
func (r *revocations) RevokeUser(_ context.Context, id string, _, _ time.Time) error {
	r.users = append(r.users, id)
	return nil
}

type env struct {
	app   app.Application
	mail  *outbox
	revs  *revocations
	store *memstore.Store
	now   time.Time
}

func newEnv(t *testing.T) *env {
	store := memstore.New()
	reg := domain.Registry()
	e := &env{mail: &outbox{}, revs: &revocations{}, store: store, now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	users := aggregate.NewStore(store, reg, domain.NewUser)
	e.app = app.New(app.Deps{
		Users:       users,
		Accounts:    adapters.NewCachedAccounts(users, store),
		Sessions:    aggregate.NewStore(store, reg, domain.NewSession),
		Owners:      adapters.ClaimOwners{Claims: store},
		Hasher:      plainHasher{},
		Tokens:      fakeTokens{},
		Mailer:      e.mail,
		Revocations: e.revs,
		Clock:       func() time.Time { e.now = e.now.Add(time.Millisecond); return e.now },
		PublicURL:   "https://shop.example/",
	})
	return e
}

func as(userID string) context.Context {
	return reqctx.With(context.Background(), reqctx.Info{Actor: reqctx.Actor{UserID: userID, Role: domain.RoleCustomer}})
}

func (e *env) signUp(t *testing.T, email string) app.TokenPair {
	t.Helper()
	ctx := context.Background()
	if _, err := e.app.Commands.Register.Handle(ctx, app.Register{Email: email, Password: "s3cret-pass", Name: "N"}); err != nil {
		t.Fatal(err)
	}
	p, err := e.app.Commands.Login.Handle(ctx, app.Login{Email: email, Password: "s3cret-pass"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRegister_ReportsEveryInvalidFieldAndRefusesDuplicates(t *testing.T) {
	e := newEnv(t)
	_, err := e.app.Commands.Register.Handle(context.Background(), app.Register{Email: "nope", Password: "x", Name: ""})
	var v *errs.Validation
	if !errors.As(err, &v) || len(v.Violations) < 3 {
		t.Fatalf("err = %v, want violations for email, password and name", err)
	}
	e.signUp(t, "ada@example.com")
	if _, err := e.app.Commands.Register.Handle(context.Background(), app.Register{Email: "ADA@example.com", Password: "other-pass-1", Name: "X"}); !errors.Is(err, app.ErrEmailTaken) {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestLogin_SameAnswerForUnknownAccountAndWrongPassword(t *testing.T) {
	e := newEnv(t)
	e.signUp(t, "ada@example.com")
	_, wrong := e.app.Commands.Login.Handle(context.Background(), app.Login{Email: "ada@example.com", Password: "bad-pass-1"})
	_, unknown := e.app.Commands.Login.Handle(context.Background(), app.Login{Email: "bob@example.com", Password: "bad-pass-1"})
	if !errors.Is(wrong, app.ErrBadCredentials) || !errors.Is(unknown, app.ErrBadCredentials) {
		t.Fatalf("wrong=%v unknown=%v", wrong, unknown)
	}
}

func TestRefresh_ReuseRevokesTheSessionAndTellsTheEdge(t *testing.T) {
	e := newEnv(t)
	p := e.signUp(t, "ada@example.com")
	next, err := e.app.Commands.Refresh.Handle(context.Background(), app.Refresh{RefreshToken: p.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Commands.Refresh.Handle(context.Background(), app.Refresh{RefreshToken: p.RefreshToken}); !errors.Is(err, domain.ErrRefreshReused) {
		t.Fatalf("reuse: %v", err)
	}
	if len(e.revs.sessions) != 1 {
		t.Fatalf("edge told of %d revocations, want 1", len(e.revs.sessions))
	}
	if _, err := e.app.Commands.Refresh.Handle(context.Background(), app.Refresh{RefreshToken: next.RefreshToken}); !errors.Is(err, domain.ErrRefreshInvalid) {
		t.Fatalf("newest token after reuse: %v", err)
	}
}

func TestLogout_OnlyTheOwnerMayEndASession(t *testing.T) {
	e := newEnv(t)
	p := e.signUp(t, "ada@example.com")
	if err := e.app.Commands.Logout.Handle(as("someone-else"), app.Logout{RefreshToken: p.RefreshToken}); !errors.Is(err, errs.PermissionDenied) {
		t.Fatalf("logout by another user: %v", err)
	}
	if err := e.app.Commands.Logout.Handle(as(p.User.ID()), app.Logout{RefreshToken: p.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Commands.Logout.Handle(as(p.User.ID()), app.Logout{RefreshToken: p.RefreshToken}); err != nil {
		t.Fatalf("a repeated logout must succeed (idempotent): %v", err)
	}
	sid, _, _ := strings.Cut(p.RefreshToken, ".")
	active, err := e.app.Queries.CheckSession.Handle(context.Background(), app.CheckSession{SessionID: sid, UserID: p.User.ID()})
	if err != nil || active {
		t.Fatalf("session after logout: active=%v err=%v", active, err)
	}
}

func TestPasswordReset_MailsALinkAndEndsEverySession(t *testing.T) {
	e := newEnv(t)
	p := e.signUp(t, "ada@example.com")
	ctx := context.Background()
	if err := e.app.Commands.RequestPasswordReset.Handle(ctx, app.RequestPasswordReset{Email: "nobody@example.com"}); err != nil || len(e.mail.mails) != 0 {
		t.Fatalf("unknown account: err=%v mails=%d", err, len(e.mail.mails))
	}
	if err := e.app.Commands.RequestPasswordReset.Handle(ctx, app.RequestPasswordReset{Email: "Ada@Example.com"}); err != nil {
		t.Fatal(err)
	}
	body := e.mail.mails[0].Body
	i := strings.Index(body, "https://shop.example/reset-password?token=")
	if i < 0 {
		t.Fatalf("mail has no link: %s", body)
	}
	token := strings.Fields(body[i+len("https://shop.example/reset-password?token="):])[0]
	if err := e.app.Commands.ResetPassword.Handle(ctx, app.ResetPassword{Token: token, NewPassword: "n3w-password"}); err != nil {
		t.Fatal(err)
	}
	if len(e.revs.users) != 1 || e.revs.users[0] != p.User.ID() {
		t.Fatalf("user revocations = %v", e.revs.users)
	}
	sid, _, _ := strings.Cut(p.RefreshToken, ".")
	if active, _ := e.app.Queries.CheckSession.Handle(ctx, app.CheckSession{SessionID: sid, UserID: p.User.ID()}); active {
		t.Fatal("a session from before the reset is still active")
	}
	if _, err := e.app.Commands.Refresh.Handle(ctx, app.Refresh{RefreshToken: p.RefreshToken}); !errors.Is(err, domain.ErrRefreshInvalid) {
		t.Fatalf("refresh of a pre-reset session: %v", err)
	}
	if err := e.app.Commands.ResetPassword.Handle(ctx, app.ResetPassword{Token: token, NewPassword: "an0ther-pass"}); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("second use of the token: %v", err)
	}
}

func TestEnsureAdmin_CreatesOncePromotesAndSyncsThePassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	run := func(password string) {
		t.Helper()
		if err := e.app.Commands.EnsureAdmin.Handle(ctx, app.EnsureAdmin{Email: "root@example.com", Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	run("adm1n-pass")
	head, _ := e.store.Head(ctx)
	run("adm1n-pass")
	if again, _ := e.store.Head(ctx); again != head {
		t.Fatal("a restart with the same credentials wrote events")
	}
	run("new-adm1n-pass")
	p, err := e.app.Commands.Login.Handle(ctx, app.Login{Email: "root@example.com", Password: "new-adm1n-pass"})
	if err != nil || p.User.Role() != domain.RoleAdmin {
		t.Fatalf("admin login: %v %v", p.User, err)
	}
	// An existing customer named as admin is promoted.
	e.signUp(t, "boss@example.com")
	if err := e.app.Commands.EnsureAdmin.Handle(ctx, app.EnsureAdmin{Email: "boss@example.com", Password: "s3cret-pass"}); err != nil {
		t.Fatal(err)
	}
	p, _ = e.app.Commands.Login.Handle(ctx, app.Login{Email: "boss@example.com", Password: "s3cret-pass"})
	if p.User.Role() != domain.RoleAdmin {
		t.Fatalf("role = %s", p.User.Role())
	}
}

func TestAddresses_BelongToTheCaller(t *testing.T) {
	e := newEnv(t)
	p := e.signUp(t, "ada@example.com")
	a, err := e.app.Commands.AddAddress.Handle(as(p.User.ID()), app.AddAddress{Line1: "1 Main St", City: "X", PostalCode: "1", Country: "de"})
	if err != nil || a.Country != "DE" {
		t.Fatalf("add: %+v %v", a, err)
	}
	q := e.signUp(t, "bob@example.com")
	if err := e.app.Commands.RemoveAddress.Handle(as(q.User.ID()), app.RemoveAddress{ID: a.ID}); !errors.Is(err, errs.NotFound) {
		t.Fatalf("removing another user's address: %v", err)
	}
	if _, err := e.app.Queries.GetUser.Handle(context.Background(), app.GetUser{}); !errors.Is(err, errs.Unauthenticated) {
		t.Fatalf("anonymous GetUser: %v", err)
	}
}
