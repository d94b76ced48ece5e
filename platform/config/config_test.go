package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    Rate
		wantErr bool
	}{
		{in: "5/15m", want: Rate{5, 15 * time.Minute}},
		{in: "100/1m", want: Rate{100, time.Minute}},
		{in: " 200/1h ", want: Rate{200, time.Hour}},
		{in: "0/1m", wantErr: true},
		{in: "10", wantErr: true},
		{in: "10/soon", wantErr: true},
		{in: "10/10ms", wantErr: true},
		{in: "-1/1m", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseRate(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("ParseRate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestRateString(t *testing.T) {
	for in, want := range map[Rate]string{
		{5, 15 * time.Minute}:   "5/15m",
		{100, 10 * time.Minute}: "100/10m",
		{1, time.Hour}:          "1/1h",
		{3, 90 * time.Second}:   "3/1m30s",
	} {
		if got := in.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", in, got, want)
		}
	}
}

func TestEnv_BadValuesAreAllReportedByName(t *testing.T) {
	env := FromMap(map[string]string{
		"A_INT":  "twelve",
		"A_DUR":  "-5s",
		"A_ADDR": "localhost",
		"A_URL":  "mysql://u:secret@h/db",
		"A_RATE": "5 per minute",
		"A_BOOL": "maybe",
		"A_LOG":  "verbose",
		"A_OK":   "7",
	})
	if got := env.Int("A_OK", 1, 0, 10); got != 7 {
		t.Fatalf("Int(A_OK) = %d, want 7", got)
	}
	if got := env.Int("A_INT", 3, 0, 10); got != 3 {
		t.Fatalf("bad Int falls back to its default, got %d", got)
	}
	env.Duration("A_DUR", time.Second)
	env.HostPort("A_ADDR", "127.0.0.1:1")
	env.URL("A_URL", "", "postgres", "postgresql")
	env.Rate("A_RATE", Rate{1, time.Minute})
	env.Bool("A_BOOL", false)
	env.LogLevel("A_LOG", 0)
	err := env.Err()
	if err == nil {
		t.Fatal("Err() = nil, want every bad variable reported")
	}
	for _, name := range []string{"A_INT", "A_DUR", "A_ADDR", "A_URL", "A_RATE", "A_BOOL", "A_LOG"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks a password:\n%v", err)
	}
	if strings.Contains(err.Error(), "A_OK") {
		t.Errorf("error names a good variable:\n%v", err)
	}
}

func TestEnv_UnsetAndEmptyUseDefaults(t *testing.T) {
	env := FromMap(map[string]string{"EMPTY": "  "})
	if got := env.String("EMPTY", "d"); got != "d" {
		t.Fatalf("String(EMPTY) = %q, want default", got)
	}
	if got := env.HostPort("UNSET", "127.0.0.1:8080"); got != "127.0.0.1:8080" {
		t.Fatalf("HostPort(UNSET) = %q", got)
	}
	if err := env.Err(); err != nil {
		t.Fatalf("Err() = %v, want nil", err)
	}
}
