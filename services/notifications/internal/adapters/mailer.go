package adapters

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/storefront/storefront/services/notifications/internal/app"
	"github.com/storefront/storefront/services/notifications/internal/domain"
)

// From is the sender of the store's mail.
const From = "Storefront <no-reply@storefront.local>"

// message builds a multipart (text, then HTML) mail.
func message(m domain.Mail) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(From); err != nil {
		return nil, err
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	return msg, nil
}

// SMTP sends mail through an SMTP relay (no authentication: a local relay or a sidecar that
// holds the credentials; STARTTLS when the server offers it).
type SMTP struct {
	Addr string
}

var _ app.Mailer = SMTP{}

// Send implements app.Mailer.
func (s SMTP) Send(ctx context.Context, m domain.Mail) error {
	msg, err := message(m)
	if err != nil {
		return err
	}
	host, portText, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smtp address %q: %w", s.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("smtp port %q: %w", portText, err)
	}
	c, err := mail.NewClient(host, mail.WithPort(port), mail.WithTLSPolicy(mail.TLSOpportunistic), mail.WithTimeout(30*time.Second))
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	return nil
}

// Dir writes each mail as an .eml file into a directory and logs it: the development
// default, where no SMTP server runs.
type Dir struct {
	Path string
	Log  *slog.Logger
}

var _ app.Mailer = Dir{}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9@._-]`)

// Send implements app.Mailer.
func (d Dir) Send(ctx context.Context, m domain.Mail) error {
	msg, err := message(m)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	path := filepath.Join(d.Path, fmt.Sprintf("%s-%s-%s.eml", now.Format("20060102T150405.000000000"), m.Kind, unsafeName.ReplaceAllString(m.To, "_")))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	if _, err := msg.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write mail: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write mail: %w", err)
	}
	d.Log.InfoContext(ctx, "mail written", "to", m.To, "kind", m.Kind, "file", path)
	return nil
}
