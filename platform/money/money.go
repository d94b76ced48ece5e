// Package money converts between the integer minor units that services store and the decimal
// strings that clients see (API.md: "Money"), for the currencies a store may sell in. Every
// context that prices something (catalog, cart, ordering, payments) formats money here, so a
// price reads the same everywhere.
package money

import (
	"fmt"
	"strconv"
	"strings"
)

// Digits returns the number of minor digits of currency (2 for USD, 0 for JPY) and whether
// the store can sell in it.
func Digits(currency string) (int, bool) {
	switch currency {
	case "USD", "EUR", "GBP", "CAD", "AUD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK":
		return 2, true
	case "JPY", "KRW":
		return 0, true
	}
	return 0, false
}

// Check reports whether the store can sell in currency (ISO 4217, upper-case).
func Check(currency string) error {
	if _, ok := Digits(currency); !ok {
		return fmt.Errorf("currency %q is not supported", currency)
	}
	return nil
}

// Parse reads a non-negative decimal amount in major units ("129.99", "12.5", "10") of
// currency as minor units. It accepts at most the currency's minor digits.
func Parse(s, currency string) (int64, error) {
	digits, ok := Digits(currency)
	if !ok {
		return 0, fmt.Errorf("currency %q is not supported", currency)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || hasDot && (frac == "" || !allDigits(frac)) {
		return 0, fmt.Errorf("must be a decimal number like \"129.99\"")
	}
	if len(frac) > digits {
		if digits == 0 {
			return 0, fmt.Errorf("must be a whole number of %s", currency)
		}
		return 0, fmt.Errorf("must have at most %d decimal places", digits)
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 15 {
		return 0, fmt.Errorf("is too large")
	}
	n := int64(0)
	for _, c := range whole + frac + strings.Repeat("0", digits-len(frac)) {
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Format writes minor units of currency as a decimal string with exactly the currency's minor
// digits ("129.99", "0.00").
func Format(minor int64, currency string) string {
	digits, _ := Digits(currency)
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := strconv.FormatInt(minor, 10)
	if digits == 0 {
		return sign + s
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}
