package micr

import "testing"

func TestValidRouting(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"notes example", "111000025", true},
		{"computed check digit", "076401251", true},
		{"fed reserve NY", "021000021", true},
		{"one digit off", "111000026", false},
		{"transposed", "110100025", false},
		{"too short", "11100002", false},
		{"too long", "1110000250", false},
		{"letters", "11100002A", false},
		{"empty", "", false},
		{"all zeros", "000000000", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidRouting(tc.in); got != tc.want {
				t.Errorf("ValidRouting(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	if d := RoutingCheckDigit("07640125"); d != 1 {
		t.Errorf("RoutingCheckDigit(07640125) = %d, want 1", d)
	}
}

func TestParseFields(t *testing.T) {
	tests := []struct {
		name, text                      string
		routing, account, check, amount string
	}{
		{"personal", "T111000025T 123456789U1043", "111000025", "123456789", "1043", ""},
		{"personal with amount", "T111000025T 123456789U1043 A0000125075A", "111000025", "123456789", "1043", "0000125075"},
		{"business", "U001043U T111000025T 98765432U", "111000025", "98765432", "001043", ""},
		{"account with dash", "T111000025T 12D3456U0042", "111000025", "123456", "0042", ""},
		{"no serial", "T111000025T 123456789U", "111000025", "123456789", "", ""},
		{"nothing", "", "", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := Line{Text: tc.text}
			l.ParseFields()
			if l.Routing != tc.routing || l.Account != tc.account || l.CheckNumber != tc.check || l.Amount != tc.amount {
				t.Errorf("got routing=%q account=%q check=%q amount=%q", l.Routing, l.Account, l.CheckNumber, l.Amount)
			}
		})
	}
}
