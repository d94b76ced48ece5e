package main

import (
	"strings"
	"testing"
	"unicode"
)

// The demo reviewers' passwords must pass identity's policy for their own addresses: a letter,
// a digit, at least 8 bytes, and never the e-mail's local part (a hex password once held "ada").
func TestUnknowablePassword_PassesThePolicyForEveryReviewer(t *testing.T) {
	for range 2000 {
		p := unknowablePassword()
		if len(p) < 8 || len(p) > 72 || !strings.ContainsFunc(p, unicode.IsLetter) || !strings.ContainsFunc(p, unicode.IsDigit) {
			t.Fatalf("password %q breaks the length or letter-and-digit rule", p)
		}
		for _, r := range demoReviewers {
			local, _, _ := strings.Cut(r.email, "@")
			if strings.Contains(p, local) {
				t.Fatalf("password %q contains %q", p, local)
			}
		}
	}
}
