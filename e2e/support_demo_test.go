package e2e

import "testing"

// TestSupportDemo: `make run`'s demo data opens one support conversation, which the admin's
// support inbox lists (and only the admin's).
func TestSupportDemo(t *testing.T) {
	f := startFleet(t, "STOREFRONT_DEMO_DATA=true", "STOREFRONT_ADMIN_EMAIL="+adminEmail, "STOREFRONT_ADMIN_PASSWORD="+adminPassword)
	r := f.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, "")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	c := supportClient{f: f, admin: r.json(t)["access_token"].(string)}
	c.list(t, c.admin, "?status=open", "Which switches for a quiet office?")
	_, someone := register(t, f, "someone")
	c.list(t, someone["access_token"].(string), "")
}
