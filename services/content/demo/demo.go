// Package demo owns the blog's demonstration posts: a handful of published articles for the
// programmers who shop here, which `make run` loads with the demo catalog, through the
// content service's public gRPC commands, so that they arrive as ordinary events
// (BlogPostCreated, BlogPostPublished). Loading is idempotent: a post whose slug is taken
// counts as already present.
package demo

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	contentv1 "github.com/storefront/storefront/proto/storefront/content/v1"
)

// Author is the name the demo posts are signed with.
const Author = "The Storefront team"

// Client is the part of contentv1.ContentServiceClient the loader uses.
type Client interface {
	CreateBlogPost(ctx context.Context, in *contentv1.CreateBlogPostRequest, opts ...grpc.CallOption) (*contentv1.BlogPost, error)
}

// Result counts what a load did.
type Result struct {
	Created, Existing int
}

// Load creates every demo post that does not exist yet, published. ctx must carry what the
// content service needs to accept admin commands (the catalog demo's AdminContext).
func Load(ctx context.Context, client Client) (Result, error) {
	var res Result
	for _, p := range Posts() {
		_, err := client.CreateBlogPost(ctx, p)
		switch status.Code(err) {
		case codes.OK:
			res.Created++
		case codes.AlreadyExists:
			res.Existing++
		default:
			return res, fmt.Errorf("demo post %s: %w", p.GetSlug(), err)
		}
	}
	return res, nil
}

// Posts returns the demo posts as create requests, published, in the order they are loaded
// (so the last is the newest).
func Posts() []*contentv1.CreateBlogPostRequest {
	post := func(slug, title, seoDescription string, tags []string, body string) *contentv1.CreateBlogPostRequest {
		return &contentv1.CreateBlogPostRequest{Slug: slug, Title: title, BodyMarkdown: body, Tags: tags, AuthorName: Author,
			Status: "published", Seo: &contentv1.Seo{Title: title, Description: seoDescription}}
	}
	return []*contentv1.CreateBlogPostRequest{
		post("choosing-your-first-mechanical-keyboard", "Choosing your first mechanical keyboard",
			"Linear, tactile or clicky? Layouts, keycaps and what matters for eight hours of typing a day.",
			[]string{"keyboards", "ergonomics"}, `Eight hours a day at a keyboard is reason enough to choose it with care.

## Switches

- **Linear** (red): smooth all the way down; quiet, good for fast typists.
- **Tactile** (brown): a bump tells you the key has registered, without the noise.
- **Clicky** (blue): bump *and* click; your colleagues will know you are working.

## Layout

A **TKL** (tenkeyless) board drops the number pad and puts the mouse closer to your hand.
A **65 %** board keeps the arrows and drops the function row. Try a split board if your
shoulders hurt at the end of the day.

## Keycaps

PBT keycaps keep their texture for years; ABS ones go shiny. Check that the board is
hot-swappable: you can then change switches without a soldering iron.`),
		post("a-dev-board-for-every-project", "A dev board for every project",
			"Raspberry Pi, ESP32 or RP2040: which board to pick for your next weekend project.",
			[]string{"dev-boards", "embedded"}, `Three boards cover almost everything a hobbyist builds.

| board | good at | language |
|---|---|---|
| Raspberry Pi 5 | a full Linux computer: servers, media, robotics | anything |
| ESP32 | Wi-Fi and Bluetooth sensors on a battery | C, MicroPython, Rust |
| RP2040 (Pico) | precise timing with its PIO state machines | C, MicroPython |

Start with the question *does it need an operating system?* If not, a microcontroller
boots in milliseconds, sips power and never needs a software update.

~~~python
from machine import Pin
import time

led = Pin(25, Pin.OUT)
while True:
    led.toggle()
    time.sleep(0.5)
~~~

That is the whole program that blinks a Pico's LED.`),
		post("two-monitors-or-one-ultrawide", "Two monitors or one ultrawide?",
			"Pixel density, scaling and desk space: how to set up your screens for coding.",
			[]string{"monitors", "ergonomics"}, `Code is text, and text wants **pixel density**.

A 27" 4K monitor at 150 % scaling gives crisp fonts and the space of a 1440p screen. An
ultrawide 34" at 3440×1440 gives room for an editor, a terminal and documentation side by
side, without a bezel in the middle.

Whatever you choose:

1. Put the top of the screen at eye level.
2. Keep it an arm's length away.
3. Use a monitor arm: your desk gets its space back.

Two monitors still win when one of them shows something else entirely: a dashboard, a
video call, the production logs you are not supposed to watch all day.`),
		post("books-every-programmer-should-read", "Books every programmer should read",
			"Five books on writing software that stay useful long after their examples date.",
			[]string{"books", "craft"}, `Frameworks come and go; these books do not.

- *The Pragmatic Programmer* — habits, from tracer bullets to "don't live with broken windows".
- *Designing Data-Intensive Applications* — what your database does, and when it lies.
- *Structure and Interpretation of Computer Programs* — abstraction, from first principles.
- *The Go Programming Language* — a language book that teaches design as well.
- *A Philosophy of Software Design* — deep modules, and why complexity creeps in.

Read one a quarter. Keep notes. Argue with them: the best books survive it.`),
		post("writing-an-event-sourced-store", "How we built this store: events all the way down",
			"Event sourcing, CQRS and read models: a look behind the counter of this shop.",
			[]string{"architecture", "go"}, `Every change in this shop is an **event**: a product was created, a price changed,
an order was placed. Services decide, record events, and never update a row in place.

Read models — the product list, your order history, this very blog — are built from those
events by a projector, and can be rebuilt from scratch while the old ones keep serving.

`+"```go"+`
p, err := posts.Load(ctx, stream)
if err != nil {
	return err
}
if err := p.Publish(now); err != nil {
	return err
}
return posts.Save(ctx, p)
`+"```"+`

Load, decide, save: three beats in every command handler.`),
	}
}
