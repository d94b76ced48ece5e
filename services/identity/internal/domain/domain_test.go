package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/storefront/storefront/platform/errs"
	identityv1 "github.com/storefront/storefront/proto/storefront/identity/v1"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestValidateEmail(t *testing.T) {
	for email, ok := range map[string]bool{
		"ada@example.com":                  true,
		"first.last+tag@sub.example.org":   true,
		"":                                 false,
		"ada":                              false,
		"ada@localhost":                    false,
		"Ada <ada@example.com>":            false,
		"ada@example.":                     false,
		"a@b@example.com":                  false,
		strings.Repeat("a", 250) + "@x.io": false,
	} {
		if err := ValidateEmail(NormalizeEmail(email)); (err == nil) != ok {
			t.Errorf("ValidateEmail(%q) = %v, want ok=%v", email, err, ok)
		}
	}
	if NormalizeEmail("  Ada@Example.COM ") != "ada@example.com" {
		t.Error("NormalizeEmail does not trim and lower-case")
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		password, email string
		wantReason      string // "" means valid
	}{
		{"correct horse 9", "ada@example.com", ""},
		{"s3cretpass", "bo@example.com", ""}, // local part too short for the rule
		{"short1", "ada@example.com", "at least 8"},
		{strings.Repeat("a1", 37), "ada@example.com", "at most 72"},
		{"onlyletters", "ada@example.com", "one letter and one digit"},
		{"1234567890", "ada@example.com", "one letter and one digit"},
		{"my-LOVELACE-1", "lovelace@example.com", "must not contain the e-mail"},
	}
	for _, tt := range tests {
		err := ValidatePassword("password", tt.password, tt.email)
		if tt.wantReason == "" {
			if err != nil {
				t.Errorf("ValidatePassword(%q) = %v, want valid", tt.password, err)
			}
			continue
		}
		var v *errs.Validation
		if !errors.As(err, &v) || v.Violations[0].Field != "password" || !strings.Contains(err.Error(), tt.wantReason) {
			t.Errorf("ValidatePassword(%q) = %v, want %q on field password", tt.password, err, tt.wantReason)
		}
	}
}

func TestNewAddress_ReportsEveryBadField(t *testing.T) {
	a, err := NewAddress(" 1 Infinite Loop ", "", "Cupertino", "CA", "95014", "us")
	if err != nil || a.Country != "US" || a.Line1 != "1 Infinite Loop" {
		t.Fatalf("valid address: %+v %v", a, err)
	}
	_, err = NewAddress("", "", "", "", "", "XX")
	var v *errs.Validation
	if !errors.As(err, &v) {
		t.Fatalf("err = %v", err)
	}
	fields := map[string]bool{}
	for _, x := range v.Violations {
		fields[x.Field] = true
	}
	for _, f := range []string{"line1", "city", "postal_code", "country"} {
		if !fields[f] {
			t.Errorf("no violation for %s: %v", f, v.Violations)
		}
	}
	for _, code := range []string{"DE", "US", "ZW", "AX"} {
		if !IsCountryCode(code) {
			t.Errorf("%s should be a country code", code)
		}
	}
	for _, code := range []string{"XX", "EU", "de", "D", "E ", "S "} {
		if IsCountryCode(code) {
			t.Errorf("%q should not be a country code", code)
		}
	}
}

func TestRegister_ClaimsTheEmailAndKeepsTheHashInAPrivateEvent(t *testing.T) {
	u, err := Register("u1", "ada@example.com", "  Ada  ", "$2a$hash", RoleCustomer, now)
	if err != nil {
		t.Fatal(err)
	}
	if u.Name() != "Ada" || u.PasswordHash() != "$2a$hash" || u.Role() != RoleCustomer || !u.RegisteredAt().Equal(now) {
		t.Fatalf("user = %+v", u)
	}
	evs := u.Pending()
	if len(evs) != 2 {
		t.Fatalf("events = %v", evs)
	}
	if reg := evs[0].(*identityv1.UserRegistered); reg.GetEmail() != "ada@example.com" {
		t.Fatalf("UserRegistered = %v", reg)
	}
	if _, ok := evs[1].(*identityv1.PasswordSet); !ok {
		t.Fatalf("second event = %T, want PasswordSet", evs[1])
	}
	if _, err := Register("u2", "b@example.com", "", "h", RoleCustomer, now); !errors.Is(err, errs.InvalidArgument) {
		t.Fatalf("empty name: %v", err)
	}
}

func TestUser_Addresses(t *testing.T) {
	u, _ := Register("u1", "ada@example.com", "Ada", "h", RoleCustomer, now)
	a, _ := NewAddress("1 Main St", "", "Springfield", "", "12345", "US")
	if _, err := u.AddAddress("a1", a); err != nil {
		t.Fatal(err)
	}
	if _, err := u.AddAddress("a2", a); err != nil {
		t.Fatal(err)
	}
	if err := u.RemoveAddress("a1"); err != nil {
		t.Fatal(err)
	}
	if got := u.Addresses(); len(got) != 1 || got[0].ID != "a2" {
		t.Fatalf("addresses = %+v", got)
	}
	if err := u.RemoveAddress("a1"); !errors.Is(err, errs.NotFound) {
		t.Fatalf("removing a removed address: %v", err)
	}
}

func TestUser_PasswordReset(t *testing.T) {
	u, _ := Register("u1", "ada@example.com", "Ada", "old", RoleCustomer, now)
	u.RequestPasswordReset("t1", now)
	u.RequestPasswordReset("t2", now.Add(time.Minute)) // replaces t1
	tests := []struct {
		name  string
		token string
		at    time.Time
		ok    bool
	}{
		{"replaced token", "t1", now.Add(2 * time.Minute), false},
		{"unknown token", "zz", now.Add(2 * time.Minute), false},
		{"expired", "t2", now.Add(time.Minute + ResetTokenTTL), false},
		{"valid", "t2", now.Add(30 * time.Minute), true},
		{"single use", "t2", now.Add(31 * time.Minute), false},
	}
	for _, tt := range tests {
		err := u.ResetPassword(tt.token, "new-"+tt.name, tt.at)
		if (err == nil) != tt.ok {
			t.Fatalf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, errs.InvalidArgument) {
			t.Fatalf("%s: err = %v, want InvalidArgument on field token", tt.name, err)
		}
	}
	if u.PasswordHash() != "new-valid" {
		t.Fatalf("hash = %q", u.PasswordHash())
	}
}

func TestSession_RotationAndReuseDetection(t *testing.T) {
	s := StartSession("s1", "u1", "h1", now)
	if err := s.Rotate("h1", "h2", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Rotate("bogus", "h3", now.Add(2*time.Hour)); !errors.Is(err, ErrRefreshInvalid) {
		t.Fatalf("unknown token: %v", err)
	}
	if !s.Active(now.Add(2 * time.Hour)) {
		t.Fatal("an unknown token ended the session")
	}
	if err := s.Rotate("h1", "h4", now.Add(3*time.Hour)); !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("reused token: %v", err)
	}
	if s.Active(now.Add(3 * time.Hour)) {
		t.Fatal("reuse did not revoke the session")
	}
	if err := s.Rotate("h2", "h5", now.Add(4*time.Hour)); !errors.Is(err, ErrRefreshInvalid) {
		t.Fatalf("current token after revocation: %v", err)
	}
	last := s.Pending()[len(s.Pending())-1].(*identityv1.SessionRevoked)
	if last.GetReason() != RevokedRefreshReuse {
		t.Fatalf("revocation reason = %q", last.GetReason())
	}
}

func TestSession_Expiry(t *testing.T) {
	s := StartSession("s1", "u1", "h1", now)
	if err := s.Rotate("h1", "h2", now.Add(RefreshTokenTTL)); !errors.Is(err, ErrRefreshInvalid) {
		t.Fatalf("expired token: %v", err)
	}
}
