package telemetry

import (
	"context"
	"errors"
	"net/http/httptest"
	"regexp"
	"testing"
)

func TestWatchDependencies_ExportsUpAndDown(t *testing.T) {
	tel, err := Setup(t.Context(), "deps-test")
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	err = tel.WatchDependencies(map[string]func(context.Context) error{
		"postgres": func(context.Context) error { return nil },
		"redis":    func(context.Context) error { return errors.New("connection refused") },
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for dep, want := range map[string]string{"postgres": "1", "redis": "0"} {
		re := regexp.MustCompile(`(?m)^storefront_dependency_up\{dependency="` + dep + `"[^}]*\} ` + want + `$`)
		if !re.MatchString(body) {
			t.Errorf("no storefront_dependency_up %s %s in:\n%s", dep, want, body)
		}
	}
}
