package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/storefront/storefront/platform/aggregate"
	"github.com/storefront/storefront/platform/errs"
	supportv1 "github.com/storefront/storefront/proto/storefront/support/v1"
)

// Limits of a conversation's fields, in characters (Unicode code points), after trimming.
const (
	MaxSubjectLength = 200
	MaxTextLength    = 4000
)

// Statuses of a conversation.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// Roles of a message's author.
const (
	RoleCustomer = "customer"
	RoleStaff    = "staff"
)

var (
	// ErrConversationNotFound is a conversation that does not exist, or that the caller may
	// not see (no enumeration of others' conversations).
	ErrConversationNotFound = fmt.Errorf("%w: no such conversation", errs.NotFound)
	// ErrClosed is a message written in a closed conversation.
	ErrClosed = fmt.Errorf("%w: the conversation is closed", errs.FailedPrecondition)
)

// Stream is the stream id of a conversation.
func Stream(conversationID string) string { return "conversation-" + conversationID }

// Author is who writes or closes: a user and whether they act as staff.
type Author struct {
	UserID string
	Name   string
	// Staff is true for an admin: they may write in, and close, anyone's conversation.
	Staff bool
}

// Conversation is one customer's conversation with the staff.
type Conversation struct {
	aggregate.Changes
	id                   string
	userID, subject      string
	started, closed      bool
	messages             []Message
	createdAt, updatedAt time.Time
}

// Message is one message of a conversation.
type Message struct {
	ID         string
	Sequence   int32
	AuthorID   string
	AuthorRole string
	AuthorName string
	Text       string
	CreatedAt  time.Time
}

// NewConversation returns an empty conversation for the stream id, for loading or for its
// first event.
func NewConversation(streamID string) *Conversation {
	return &Conversation{id: strings.TrimPrefix(streamID, "conversation-")}
}

// StreamID implements aggregate.Root.
func (c *Conversation) StreamID() string { return Stream(c.id) }

// ID returns the conversation's id.
func (c *Conversation) ID() string { return c.id }

// Exists reports whether the conversation was started.
func (c *Conversation) Exists() bool { return c.started }

// VisibleTo reports whether the user may read and write in the conversation: its owner, or
// staff.
func (c *Conversation) VisibleTo(userID string, staff bool) bool {
	return c.started && (staff || (userID != "" && userID == c.userID))
}

// View is what a reader sees of a conversation.
type View struct {
	ID, UserID, Subject, Status string
	// Messages, oldest first.
	Messages             []Message
	MessageCount         int
	CreatedAt, UpdatedAt time.Time
}

// View returns the conversation as it is now.
func (c *Conversation) View() View {
	status := StatusOpen
	if c.closed {
		status = StatusClosed
	}
	return View{ID: c.id, UserID: c.userID, Subject: c.subject, Status: status, Messages: append([]Message{}, c.messages...),
		MessageCount: len(c.messages), CreatedAt: c.createdAt, UpdatedAt: c.updatedAt}
}

// Last returns the latest message (the zero Message before the first).
func (c *Conversation) Last() Message {
	if len(c.messages) == 0 {
		return Message{}
	}
	return c.messages[len(c.messages)-1]
}

// ValidateStart checks a new conversation's subject and first message, each bad field named.
func ValidateStart(subject, message string) error {
	var v errs.Validation
	validateText(&v, "subject", subject, MaxSubjectLength)
	validateText(&v, "message", message, MaxTextLength)
	return v.Err()
}

// ValidateText checks a message's text.
func ValidateText(text string) error {
	var v errs.Validation
	validateText(&v, "text", text, MaxTextLength)
	return v.Err()
}

func validateText(v *errs.Validation, field, s string, max int) {
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case strings.TrimSpace(s) == "":
		v.Add(field, "is required")
	case utf8.RuneCountInString(strings.TrimSpace(s)) > max:
		v.Addf(field, "must be at most %d characters", max)
	}
}

// Start opens the conversation as its customer, with its first message.
func (c *Conversation) Start(customer Author, messageID, subject, text string, now time.Time) error {
	if err := ValidateStart(subject, text); err != nil {
		return err
	}
	if c.started {
		return fmt.Errorf("%w: conversation %s already started", errs.AlreadyExists, c.id)
	}
	if customer.UserID == "" {
		return fmt.Errorf("%w: a conversation needs its customer", errs.Unauthenticated)
	}
	c.record(&supportv1.ConversationStarted{ConversationId: c.id, UserId: customer.UserID, Subject: strings.TrimSpace(subject),
		MessageId: messageID, AuthorName: customer.Name, Text: strings.TrimSpace(text), StartedAt: now.UnixMicro()})
	return nil
}

// Post writes a message in the open conversation as its owner (a customer message) or as
// staff. Someone else is told the conversation does not exist.
func (c *Conversation) Post(by Author, messageID, text string, now time.Time) (Message, error) {
	if !c.VisibleTo(by.UserID, by.Staff) {
		return Message{}, ErrConversationNotFound
	}
	if err := ValidateText(text); err != nil {
		return Message{}, err
	}
	if c.closed {
		return Message{}, ErrClosed
	}
	role := RoleCustomer
	if by.Staff && by.UserID != c.userID {
		role = RoleStaff
	}
	c.record(&supportv1.MessagePosted{ConversationId: c.id, UserId: c.userID, MessageId: messageID, Sequence: int32(len(c.messages) + 1),
		AuthorId: by.UserID, AuthorRole: role, AuthorName: by.Name, Text: strings.TrimSpace(text), PostedAt: now.UnixMicro()})
	return c.Last(), nil
}

// Close closes the conversation (its owner or staff). Closing a closed conversation records
// nothing.
func (c *Conversation) Close(by Author, now time.Time) error {
	if !c.VisibleTo(by.UserID, by.Staff) {
		return ErrConversationNotFound
	}
	if c.closed {
		return nil
	}
	role := RoleCustomer
	if by.Staff && by.UserID != c.userID {
		role = RoleStaff
	}
	c.record(&supportv1.ConversationClosed{ConversationId: c.id, UserId: c.userID, ClosedByUserId: by.UserID, ClosedByRole: role,
		ClosedAt: now.UnixMicro()})
	return nil
}

func (c *Conversation) record(e proto.Message) {
	_ = c.Apply(e)
	c.Record(e)
}

func micros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// Apply implements aggregate.Root.
func (c *Conversation) Apply(e proto.Message) error {
	switch e := e.(type) {
	case *supportv1.ConversationStarted:
		c.started, c.userID, c.subject = true, e.GetUserId(), e.GetSubject()
		c.createdAt = micros(e.GetStartedAt())
		c.updatedAt = c.createdAt
		c.messages = append(c.messages[:0], Message{ID: e.GetMessageId(), Sequence: 1, AuthorID: e.GetUserId(), AuthorRole: RoleCustomer,
			AuthorName: e.GetAuthorName(), Text: e.GetText(), CreatedAt: c.createdAt})
	case *supportv1.MessagePosted:
		m := Message{ID: e.GetMessageId(), Sequence: e.GetSequence(), AuthorID: e.GetAuthorId(), AuthorRole: e.GetAuthorRole(),
			AuthorName: e.GetAuthorName(), Text: e.GetText(), CreatedAt: micros(e.GetPostedAt())}
		if int(m.Sequence) != len(c.messages)+1 {
			return fmt.Errorf("conversation %s: message %d after %d messages", c.id, m.Sequence, len(c.messages))
		}
		c.messages = append(c.messages, m)
		c.updatedAt = m.CreatedAt
	case *supportv1.ConversationClosed:
		c.closed = true
		c.updatedAt = micros(e.GetClosedAt())
	default:
		return fmt.Errorf("conversation: unexpected event %T", e)
	}
	return nil
}
