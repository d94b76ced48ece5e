package domain

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/storefront/storefront/platform/errs"
)

// Limits of a post's fields.
const (
	MaxTitleLen          = 200
	MaxSlugLen           = 100
	MaxBodyBytes         = 100 * 1024
	MaxExcerptLen        = 500
	MaxTags              = 10
	MaxTagLen            = 32
	MaxSEOTitleLen       = 70
	MaxSEODescriptionLen = 160
	MaxAuthorNameLen     = 100
	// DerivedExcerptLen is the length an excerpt cut from the body's text is held to.
	DerivedExcerptLen = 200
)

// ScopeSlug is the claim scope of post slugs: one post holds a slug until it is deleted.
const ScopeSlug = "blogpost.slug"

// Draft is what an admin writes for a post: on create every field but Slug, Excerpt and the
// SEO fields is required; on edit an empty Slug or AuthorName keeps the post's.
type Draft struct {
	Title          string
	Slug           string
	BodyMarkdown   string
	Excerpt        string
	Tags           []string
	SEOTitle       string
	SEODescription string
	AuthorName     string
}

// Normalize trims the fields, lowers the slug and tags, and drops repeated tags (keeping the
// first); it never fails — Validate judges the result.
func (d Draft) Normalize() Draft {
	d.Title = strings.TrimSpace(d.Title)
	d.Slug = strings.ToLower(strings.TrimSpace(d.Slug))
	d.Excerpt = strings.TrimSpace(d.Excerpt)
	d.SEOTitle = strings.TrimSpace(d.SEOTitle)
	d.SEODescription = strings.TrimSpace(d.SEODescription)
	d.AuthorName = strings.TrimSpace(d.AuthorName)
	var tags []string
	for _, t := range d.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	d.Tags = tags
	return d
}

// Validate adds a violation for every bad field of a normalised draft. An empty Slug or
// AuthorName is valid here: the caller derives or keeps them.
func (d Draft) Validate(v *errs.Validation) {
	text(v, "title", d.Title, 1, MaxTitleLen)
	if d.Slug != "" {
		if err := ValidateSlug("slug", d.Slug); err != nil {
			v.Violations = append(v.Violations, err.(*errs.Validation).Violations...)
		}
	}
	switch {
	case !utf8.ValidString(d.BodyMarkdown):
		v.Add("body_markdown", "is not valid UTF-8")
	case strings.TrimSpace(d.BodyMarkdown) == "":
		v.Add("body_markdown", "is required")
	case len(d.BodyMarkdown) > MaxBodyBytes:
		v.Addf("body_markdown", "must be at most %d bytes", MaxBodyBytes)
	case strings.ContainsRune(d.BodyMarkdown, 0):
		v.Add("body_markdown", "must not contain NUL characters")
	}
	text(v, "excerpt", d.Excerpt, 0, MaxExcerptLen)
	if len(d.Tags) > MaxTags {
		v.Addf("tags", "at most %d tags", MaxTags)
	}
	for i, t := range d.Tags {
		if err := ValidateTag(fmt.Sprintf("tags[%d]", i), t); err != nil {
			v.Violations = append(v.Violations, err.(*errs.Validation).Violations...)
		}
	}
	text(v, "seo.title", d.SEOTitle, 0, MaxSEOTitleLen)
	text(v, "seo.description", d.SEODescription, 0, MaxSEODescriptionLen)
	text(v, "author_name", d.AuthorName, 0, MaxAuthorNameLen)
}

// text checks a one-line or multi-line field's length in characters and its characters.
func text(v *errs.Validation, field, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "is not valid UTF-8")
	case min > 0 && n == 0:
		v.Add(field, "is required")
	case n > max:
		v.Addf(field, "must be at most %d characters", max)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }):
		v.Add(field, "must not contain control characters")
	}
}

// ValidateSlug checks a slug: 1 to 100 lower-case ASCII letters and digits in groups joined
// by single hyphens.
func ValidateSlug(field, s string) error { return slugLike(field, s, MaxSlugLen, "is required") }

// ValidateTag checks a tag: 1 to 32 lower-case ASCII letters and digits in groups joined by
// single hyphens (the list filter takes the same).
func ValidateTag(field, s string) error { return slugLike(field, s, MaxTagLen, "must not be empty") }

func slugLike(field, s string, max int, empty string) error {
	switch {
	case s == "":
		return errs.Field(field, empty)
	case len(s) > max:
		return errs.Field(field, fmt.Sprintf("must be at most %d characters", max))
	case !isSlug(s):
		return errs.Field(field, "may hold only lower-case letters a-z, digits and single hyphens between them")
	}
	return nil
}

func isSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// DeriveSlug turns a title into a slug: lower-case ASCII letters and digits, every other run
// of characters one hyphen, cut at a hyphen to fit MaxSlugLen. A title without any ASCII
// letter or digit gives "" (the admin must give a slug).
func DeriveSlug(title string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		default:
			hyphen = true
		}
	}
	s := b.String()
	if len(s) > MaxSlugLen {
		s = s[:MaxSlugLen]
		if i := strings.LastIndexByte(s, '-'); i > MaxSlugLen/2 {
			s = s[:i]
		}
		s = strings.TrimRight(s, "-")
	}
	return s
}

// DeriveExcerpt cuts a post's plain text to at most DerivedExcerptLen characters, at a word
// boundary, marking a cut with "…".
func DeriveExcerpt(text string) string {
	if utf8.RuneCountInString(text) <= DerivedExcerptLen {
		return text
	}
	runes := []rune(text)[:DerivedExcerptLen-1]
	cut := string(runes)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " .,;:") + "…"
}
