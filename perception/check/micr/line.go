package micr

import (
	"errors"
	"image"
	"strings"
)

// Errors returned by the reader; they are wrapped with detail, test with errors.Is.
var (
	// ErrNoLine means no MICR line was found in the image.
	ErrNoLine = errors.New("micr: no MICR line found")
	// ErrBadImage means the image is empty or too small to hold a MICR line.
	ErrBadImage = errors.New("micr: image too small or empty")
)

// Char is one recognised character of a MICR line.
type Char struct {
	Rune       rune            // '0'-'9', Transit, Amount, OnUs or Dash
	Box        image.Rectangle // in the coordinates of the image passed to Read or FindAndRead
	Confidence float64         // 0..1
}

// Line is a read MICR line and its parsed fields.
type Line struct {
	// Text is the line as read: digits and T, A, U, D, with a space where characters are separated by
	// one or more empty positions.
	Text        string
	Routing     string // 9 digits between the transit symbols ("" if not found)
	Account     string // account number from the on-us field, dashes kept as 'D' removed ("" if none)
	CheckNumber string // serial: in the auxiliary on-us field (business) or after the on-us symbol (personal)
	Amount      string // 10 digits between amount symbols when the bank of first deposit encoded it
	Chars       []Char
	Box         image.Rectangle
	Confidence  float64 // the lowest character confidence
}

// ValidRouting reports whether s is a 9-digit ABA routing number with a correct check digit:
// 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) is a multiple of 10.
func ValidRouting(s string) bool {
	if len(s) != 9 {
		return false
	}
	w := [3]int{3, 7, 1}
	sum := 0
	for i := 0; i < 9; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += w[i%3] * int(c-'0')
	}
	return sum%10 == 0
}

// RoutingCheckDigit returns the ninth digit that makes the 8-digit prefix a valid routing number,
// or -1 when prefix is not 8 digits.
func RoutingCheckDigit(prefix string) int {
	if len(prefix) != 8 {
		return -1
	}
	w := [3]int{3, 7, 1}
	sum := 0
	for i := 0; i < 8; i++ {
		c := prefix[i]
		if c < '0' || c > '9' {
			return -1
		}
		sum += w[i%3] * int(c-'0')
	}
	return (10 - sum%10) % 10
}

// ParseFields fills Routing, Account, CheckNumber and Amount from l.Text.
//
// Layouts read (left to right, as printed):
//
//	personal: T routing T  account U serial        [A amount A]
//	personal: T routing T  serial U? account U     (serial before the account, some banks)
//	business: U serial U  T routing T  account U   [A amount A]
func (l *Line) ParseFields() {
	l.Routing, l.Account, l.CheckNumber, l.Amount = "", "", "", ""
	s := strings.ReplaceAll(l.Text, " ", "")
	// Amount field.
	if i := strings.IndexRune(s, Amount); i >= 0 {
		if j := strings.IndexRune(s[i+1:], Amount); j >= 0 {
			l.Amount = s[i+1 : i+1+j]
			s = s[:i] + s[i+1+j+1:]
		} else {
			l.Amount = digitsOnly(s[i+1:])
			s = s[:i]
		}
	}
	// Transit field.
	before, after := s, ""
	if i := strings.IndexRune(s, Transit); i >= 0 {
		rest := s[i+1:]
		if j := strings.IndexRune(rest, Transit); j >= 0 {
			l.Routing = strings.ReplaceAll(rest[:j], string(Dash), "")
			before, after = s[:i], rest[j+1:]
		} else {
			before, after = s[:i], rest
		}
	}
	// Auxiliary on-us (business): U serial U before the transit field.
	if aux := strings.Trim(before, string(OnUs)); aux != "" && strings.ContainsRune(before, OnUs) {
		l.CheckNumber = digitsOnly(aux)
	}
	// On-us field after the transit field: account U serial, or serial account U.
	after = strings.TrimRight(after, string(Amount))
	parts := strings.Split(after, string(OnUs))
	var fields []string
	for _, p := range parts {
		if p != "" {
			fields = append(fields, p)
		}
	}
	switch {
	case len(fields) == 0:
	case l.CheckNumber != "":
		// Business: the serial is in the aux field, the on-us field holds the account.
		l.Account = strings.ReplaceAll(strings.Join(fields, ""), string(Dash), "")
	case len(fields) == 1:
		l.Account = strings.ReplaceAll(fields[0], string(Dash), "")
	default:
		l.Account = strings.ReplaceAll(fields[0], string(Dash), "")
		l.CheckNumber = digitsOnly(fields[1])
	}
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}
