// Package markdown renders a blog post's Markdown body to HTML that is safe to insert into a
// page, and to the plain text an excerpt is cut from. It is pure: the same Markdown gives the
// same output on every machine, so events can carry the result.
package markdown

import (
	"bytes"
	"fmt"
	"html"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Renderer turns Markdown into sanitised HTML (CommonMark with GitHub's tables, strikethrough,
// autolinks and task lists). Raw HTML in the Markdown is dropped by goldmark's default and
// what remains passes bluemonday's user-generated-content policy: no script, style, iframe,
// event handler or javascript: URL reaches a reader. A Renderer is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
	strict *bluemonday.Policy
}

// New returns a Renderer.
func New() *Renderer {
	policy := bluemonday.UGCPolicy()
	// Fenced code keeps its language class for syntax highlighting on the page.
	policy.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens).OnElements("code")
	return &Renderer{
		md:     goldmark.New(goldmark.WithExtensions(extension.GFM)),
		policy: policy,
		strict: bluemonday.StrictPolicy(),
	}
}

// Render returns src as sanitised HTML and as plain text (the words a reader sees, whitespace
// collapsed to single spaces).
func (r *Renderer) Render(src string) (htmlOut, text string, err error) {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return "", "", fmt.Errorf("render markdown: %w", err)
	}
	safe := r.policy.SanitizeBytes(buf.Bytes())
	// Block ends become spaces, so "<p>a</p><p>b</p>" reads "a b", not "ab".
	spaced := strings.NewReplacer("</p>", " </p>", "</li>", " </li>", "</h1>", " </h1>", "</h2>", " </h2>",
		"</h3>", " </h3>", "</h4>", " </h4>", "</pre>", " </pre>", "<br>", " <br>", "</td>", " </td>").Replace(string(safe))
	plain := html.UnescapeString(r.strict.Sanitize(spaced))
	return string(safe), strings.Join(strings.Fields(plain), " "), nil
}
