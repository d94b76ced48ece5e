package domain

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"

	"github.com/storefront/storefront/platform/errs"
)

// NormalizeEmail trims and lower-cases an address, so that uniqueness is case-insensitive.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidateEmail checks a normalised address: one plain address (no display name), a domain
// with a dot, at most 254 bytes.
func ValidateEmail(email string) error {
	if email == "" {
		return errs.Field("email", "is required")
	}
	if len(email) > 254 {
		return errs.Field("email", "is longer than 254 characters")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return errs.Field("email", "is not an e-mail address")
	}
	at := strings.LastIndexByte(email, '@')
	if domain := email[at+1:]; !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return errs.Field("email", "is not an e-mail address")
	}
	return nil
}

// Password policy (product brief, "Password Security"): bcrypt reads at most 72 bytes, so
// longer passwords would be silently truncated and are refused instead.
const (
	MinPasswordBytes = 8
	MaxPasswordBytes = 72
	// minLocalPart is the shortest e-mail local part the "must not contain" rule applies to;
	// a one- or two-letter local part would forbid too many good passwords.
	minLocalPart = 3
)

// ValidatePassword checks a new password against the policy for the account's e-mail.
// field names the request field, for the error details.
func ValidatePassword(field, password, email string) error {
	var v errs.Validation
	switch {
	case len(password) < MinPasswordBytes:
		v.Addf(field, "must be at least %d characters", MinPasswordBytes)
	case len(password) > MaxPasswordBytes:
		v.Addf(field, "must be at most %d bytes", MaxPasswordBytes)
	}
	var letter, digit bool
	for _, r := range password {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
	}
	if !letter || !digit {
		v.Add(field, "must contain at least one letter and one digit")
	}
	if local, _, ok := strings.Cut(NormalizeEmail(email), "@"); ok && len(local) >= minLocalPart &&
		strings.Contains(strings.ToLower(password), local) {
		v.Add(field, "must not contain the e-mail address")
	}
	return v.Err()
}

// ValidateName checks a display name: 1 to 100 characters after trimming, printable.
func ValidateName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", errs.Field("name", "is required")
	}
	if n := len([]rune(name)); n > 100 {
		return "", errs.Field("name", fmt.Sprintf("must be at most 100 characters, not %d", n))
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "", errs.Field("name", "must not contain control characters")
		}
	}
	return name, nil
}
