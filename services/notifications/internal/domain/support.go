package domain

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// KindSupportMessage is the staff's mail about a customer's message in a support
// conversation.
const KindSupportMessage = "support_message"

// SupportWindow is how long after a mail about a conversation no other is sent about it.
const SupportWindow = 10 * time.Minute

// SupportNote is a customer's message that the staff are told about.
type SupportNote struct {
	ConversationID, Subject string
	CustomerName, Text      string
	// At is when the message was written (the event's time): the window counts from it.
	At time.Time
}

// ComposeSupport renders the staff's mail about a customer's message; supportURL holds
// {conversation_id} for the conversation's page.
func (c *Composer) ComposeSupport(to Recipient, supportURL string, n SupportNote) (Mail, error) {
	data := map[string]any{"Store": c.Store, "Name": to.Name, "Note": n, "Window": SupportWindow.String(),
		"URL": strings.ReplaceAll(supportURL, "{conversation_id}", n.ConversationID)}
	var text, html bytes.Buffer
	if err := c.text.ExecuteTemplate(&text, KindSupportMessage+".txt.tmpl", data); err != nil {
		return Mail{}, err
	}
	if err := c.html.ExecuteTemplate(&html, KindSupportMessage+".html.tmpl", data); err != nil {
		return Mail{}, err
	}
	subject := n.Subject
	if r := []rune(subject); len(r) > 60 {
		subject = string(r[:60]) + "…"
	}
	return Mail{Kind: KindSupportMessage, To: to.Email, Subject: fmt.Sprintf("%s support: %s wrote about %q", c.Store, n.CustomerName, subject),
		Text: text.String(), HTML: html.String()}, nil
}
