// Package reaction is how a bounded context reacts to other contexts' events and to its own
// deadlines, written once for every context that does (the checkout saga, verified-purchase
// reviews, notifications, cart check-out):
//
//   - A Reaction is a durable JetStream pull consumer on one context's stream. Its handler
//     turns an event into commands. The effect is exactly once: the handler runs under
//     aggregate.CausedBy(event id), so the events its saves append get ids derived from the
//     event (and the reaction), and a redelivered event's saves are refused by the event
//     store as duplicates: aggregate.Update reports them done (aggregate.ErrAlreadySaved
//     from a plain Save), and the handler goes on to its next step. Commands to other
//     services carry keys derived from the event id (reservations and payments keyed by
//     order id).
//   - A failing handler is retried with growing delays (NAK with delay), and after the last
//     one its event is parked as a dead letter in the projector's parking lot
//     (projector.ParkDeadLetter), where operators see every consumer's dead letters. An event
//     the handler can never handle (ErrPermanent) is parked at once.
//   - A Timer is a deadline recorded by an event (a payment that must be captured within 30
//     minutes): a reaction schedules it (idempotently, its id derived from the event) in the
//     context's schema, and the runner fires it when it is due — also after any restart —
//     under aggregate.CausedBy(timer id), retrying and parking like events.
//
// Per-stream order is not guaranteed once a delivery fails and is retried later: handlers
// load the aggregates they change and decide from their state, as every command does.
package reaction
