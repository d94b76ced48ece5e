package money

import "testing"

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{0, "USD", "0.00"}, {5, "USD", "0.05"}, {99, "USD", "0.99"}, {100, "USD", "1.00"}, {12999, "USD", "129.99"},
		{-250, "EUR", "-2.50"}, {1500, "JPY", "1500"}, {0, "JPY", "0"},
	} {
		if got := Format(tc.minor, tc.currency); got != tc.want {
			t.Errorf("Format(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, currency string
		want         int64
		ok           bool
	}{
		{"129.99", "USD", 12999, true}, {"12.5", "USD", 1250, true}, {"10", "USD", 1000, true}, {"0", "USD", 0, true},
		{"007.10", "USD", 710, true}, {"1500", "JPY", 1500, true},
		{"12.345", "USD", 0, false}, {"1.5", "JPY", 0, false}, {"", "USD", 0, false}, {".5", "USD", 0, false},
		{"5.", "USD", 0, false}, {"-1", "USD", 0, false}, {"1e3", "USD", 0, false}, {"1,00", "USD", 0, false},
		{"1234567890123456", "USD", 0, false}, {"1", "XXX", 0, false},
	} {
		got, err := Parse(tc.in, tc.currency)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%q, %s) = %d, %v; want %d, ok %v", tc.in, tc.currency, got, err, tc.want, tc.ok)
		}
	}
}

func TestCheck(t *testing.T) {
	if err := Check("USD"); err != nil {
		t.Errorf("USD: %v", err)
	}
	if err := Check("usd"); err == nil {
		t.Error("lower-case code accepted")
	}
}
