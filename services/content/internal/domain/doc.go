// Package domain holds the content context's rules: the BlogPost aggregate (a Markdown post
// written by an admin, a draft until published, its slug unique) and the values admins send
// for it (title, slug, body, excerpt, tags, SEO fields), with their limits. Rendering the
// Markdown is a Renderer the caller passes in; no I/O happens here.
package domain
