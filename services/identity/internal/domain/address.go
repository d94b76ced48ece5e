package domain

import (
	"strings"
	"unicode"

	"github.com/storefront/storefront/platform/errs"
)

// Address is a postal address of a user.
type Address struct {
	ID         string
	Line1      string
	Line2      string
	City       string
	State      string
	PostalCode string
	Country    string // ISO 3166-1 alpha-2, upper-case
}

// iso3166 lists the officially assigned ISO 3166-1 alpha-2 codes.
const iso3166 = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

// IsCountryCode reports whether code is an assigned ISO 3166-1 alpha-2 code (upper-case).
func IsCountryCode(code string) bool {
	if len(code) != 2 || strings.ToUpper(code) != code {
		return false
	}
	i := strings.Index(iso3166, code)
	return i >= 0 && i%3 == 0
}

// NewAddress validates and normalises an address (trimmed fields, upper-case country).
// Every invalid field is reported.
func NewAddress(line1, line2, city, state, postalCode, country string) (Address, error) {
	a := Address{
		Line1: strings.TrimSpace(line1), Line2: strings.TrimSpace(line2), City: strings.TrimSpace(city),
		State: strings.TrimSpace(state), PostalCode: strings.TrimSpace(postalCode), Country: strings.ToUpper(strings.TrimSpace(country)),
	}
	var v errs.Validation
	required := func(field, value string, max int) {
		switch {
		case value == "":
			v.Add(field, "is required")
		case len([]rune(value)) > max:
			v.Addf(field, "must be at most %d characters", max)
		case strings.IndexFunc(value, unicode.IsControl) >= 0:
			v.Add(field, "must not contain control characters")
		}
	}
	optional := func(field, value string, max int) {
		if value != "" {
			required(field, value, max)
		}
	}
	required("line1", a.Line1, 200)
	optional("line2", a.Line2, 200)
	required("city", a.City, 100)
	optional("state", a.State, 100)
	required("postal_code", a.PostalCode, 20)
	if !IsCountryCode(a.Country) {
		v.Add("country", "must be an ISO 3166-1 alpha-2 code such as DE or US")
	}
	return a, v.Err()
}
