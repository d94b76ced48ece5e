// Package content is the blog read model: the projection "blog_posts", which the projector
// runtime (platform/projector) feeds with the content context's events, and Queries, which
// the content service reads to list and show posts.
//
// The projection owns one table, exposed to readers as a view in the read schema
// "blog_posts": posts, one row per post that is not deleted, with the rendered HTML and the
// excerpt the events carry (the read model never renders Markdown). It relies on the order
// of each post's stream only, and is rebuilt from the content context's event log like any
// other projection (docs/decisions/020-content.md).
package content
