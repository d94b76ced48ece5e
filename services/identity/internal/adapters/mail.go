package adapters

import (
	"context"
	"fmt"
	"log/slog"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/storefront/storefront/services/identity/internal/app"
)

// From is the sender of the store's mail.
const From = "Storefront <no-reply@storefront.local>"

func render(m app.Mail, now time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@storefront.local>\r\n",
		From, m.To, m.Subject, now.Format(time.RFC1123Z), uuid.New())
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(strings.ReplaceAll(m.Body, "\n", "\r\n"))
	return []byte(b.String())
}

// SMTPMailer sends mail through an SMTP relay (no authentication: a local relay or a
// sidecar that holds the credentials).
type SMTPMailer struct {
	Addr string
}

// Send implements app.Mailer.
func (s SMTPMailer) Send(_ context.Context, m app.Mail) error {
	if err := smtp.SendMail(s.Addr, nil, "no-reply@storefront.local", []string{m.To}, render(m, time.Now())); err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	return nil
}

// DirMailer writes each mail as an .eml file into a directory and logs it: the development
// default, where no SMTP server runs.
type DirMailer struct {
	Dir string
	Log *slog.Logger
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9@._-]`)

// Send implements app.Mailer.
func (d DirMailer) Send(ctx context.Context, m app.Mail) error {
	now := time.Now().UTC()
	name := fmt.Sprintf("%s-%s.eml", now.Format("20060102T150405.000000000"), unsafeName.ReplaceAllString(m.To, "_"))
	path := filepath.Join(d.Dir, name)
	if err := os.WriteFile(path, render(m, now), 0o600); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	d.Log.InfoContext(ctx, "mail written", "to", m.To, "subject", m.Subject, "file", path)
	return nil
}
