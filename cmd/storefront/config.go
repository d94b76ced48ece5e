package main

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/storefront/storefront/platform/config"
)

// Config is what the launcher reads from the environment. Every variable of API.md's
// configuration table is validated here, once, before anything starts; the processes it
// starts read the same variables (with the addresses the launcher resolved filled in).
type Config struct {
	HTTPAddr     string
	PublicURL    string
	DatabaseURL  string // empty: find or start one
	NATSURL      string // empty: embedded
	RedisURL     string // empty: local if it answers, else none
	StripeKey    string
	StripeBase   string // empty (with no key): stripe-mock
	PayPalID     string
	PayPalSecret string
	PayPalBase   string // empty (with no id): the local PayPal stand-in
	SMTPAddr     string // empty: mails are written under the data directory
	AdminEmail   string
	AdminPass    string
	RateAuth     config.Rate
	RateAPI      config.Rate
	RateAdmin    config.Rate
	// WebDir is the web storefront's build the gateway serves at the site root, an absolute
	// path (the -web flag, else STOREFRONT_WEB_DIR; empty: none).
	WebDir       string
	adminDefault bool
}

func loadConfig(env *config.Env, dataDir string) (Config, error) {
	cfg := Config{
		HTTPAddr:     env.HostPort("STOREFRONT_HTTP_ADDR", "127.0.0.1:8080"),
		DatabaseURL:  env.URL("STOREFRONT_DATABASE_URL", "", "postgres", "postgresql"),
		NATSURL:      env.URL("STOREFRONT_NATS_URL", "", "nats", "tls"),
		RedisURL:     env.URL("STOREFRONT_REDIS_URL", "", "redis", "rediss"),
		StripeKey:    env.String("STRIPE_SECRET_KEY", ""),
		StripeBase:   env.URL("STOREFRONT_STRIPE_API_BASE", "", "http", "https"),
		SMTPAddr:     env.HostPort("STOREFRONT_SMTP_ADDR", ""),
		PayPalID:     env.String("PAYPAL_CLIENT_ID", ""),
		PayPalSecret: env.String("PAYPAL_CLIENT_SECRET", ""),
		PayPalBase:   env.URL("STOREFRONT_PAYPAL_API_BASE", "", "http", "https"),
		AdminEmail:   env.String("STOREFRONT_ADMIN_EMAIL", ""),
		AdminPass:    env.String("STOREFRONT_ADMIN_PASSWORD", ""),
		RateAuth:     env.Rate("STOREFRONT_RATE_LIMIT_AUTH", config.Rate{Limit: 5, Period: 15 * time.Minute}),
		RateAPI:      env.Rate("STOREFRONT_RATE_LIMIT_API", config.Rate{Limit: 100, Period: time.Minute}),
		RateAdmin:    env.Rate("STOREFRONT_RATE_LIMIT_ADMIN", config.Rate{Limit: 200, Period: time.Minute}),
	}
	env.LogLevel("STOREFRONT_LOG_LEVEL", 0) // validated here too, so start-up fails before anything runs
	cfg.PublicURL = env.URL("STOREFRONT_PUBLIC_URL", "http://"+cfg.HTTPAddr, "http", "https")
	if dir := env.String("STOREFRONT_WEB_DIR", ""); dir != "" {
		var err error
		if cfg.WebDir, err = webDir(dir); err != nil {
			env.Fail("STOREFRONT_WEB_DIR", "%v", err)
		}
	}
	if (cfg.StripeKey == "") != (cfg.StripeBase == "") {
		env.Fail("STRIPE_SECRET_KEY", "set it together with STOREFRONT_STRIPE_API_BASE, or neither (then stripe-mock runs)")
	}
	if (cfg.PayPalID == "") != (cfg.PayPalBase == "") || (cfg.PayPalID == "") != (cfg.PayPalSecret == "") {
		env.Fail("PAYPAL_CLIENT_ID", "set it with PAYPAL_CLIENT_SECRET and STOREFRONT_PAYPAL_API_BASE, or none of them (then the local PayPal stand-in runs)")
	}
	if (cfg.AdminEmail == "") != (cfg.AdminPass == "") {
		env.Fail("STOREFRONT_ADMIN_EMAIL", "set it together with STOREFRONT_ADMIN_PASSWORD, or neither (then a dev admin is made)")
	}
	if err := env.Err(); err != nil {
		return cfg, err
	}
	if cfg.AdminEmail == "" {
		email, pass, err := devAdmin(dataDir)
		if err != nil {
			return cfg, err
		}
		cfg.AdminEmail, cfg.AdminPass, cfg.adminDefault = email, pass, true
	}
	return cfg, nil
}

// applyWebFlag sets WebDir from the -web flag, which wins over STOREFRONT_WEB_DIR; an empty
// flag leaves it as it is.
func (c *Config) applyWebFlag(dir string) error {
	if dir == "" {
		return nil
	}
	abs, err := webDir(dir)
	if err != nil {
		return fmt.Errorf("-web: %w", err)
	}
	c.WebDir = abs
	return nil
}

// webDir returns dir as an absolute path, so that it means the same to the gateway, once it
// is seen to hold a build of the web storefront: its index.html.
func webDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, "index.html")); err != nil {
		return "", fmt.Errorf("%s holds no index.html: not a build of the web storefront (npm run build in web/ makes web/dist)", abs)
	}
	return abs, nil
}

// devAdmin returns the development admin's credentials, made once and kept under the data
// directory so they stay valid across restarts.
func devAdmin(dataDir string) (email, password string, err error) {
	const email0 = "admin@storefront.local"
	path := filepath.Join(dataDir, "dev-admin-password")
	if b, err := os.ReadFile(path); err == nil {
		return email0, strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", "", err
	}
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	// Letters and digits, so it always meets the password policy.
	password = "dev1" + strings.ToLower(base32.StdEncoding.EncodeToString(b))
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("keep the dev admin password: %w", err)
	}
	return email0, password, nil
}
