package checkgen

import (
	"fmt"
	"math"
	"strings"
)

var (
	ones = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// AmountWords writes a dollar amount the way it is written on a check's legal line:
// AmountWords(1250.75) == "One thousand two hundred fifty and 75/100". Amounts are rounded to cents;
// negative amounts are written as their absolute value.
func AmountWords(amount float64) string {
	cents := int64(math.Round(math.Abs(amount) * 100))
	dollars, c := cents/100, cents%100
	w := numberWords(dollars)
	return strings.ToUpper(w[:1]) + w[1:] + fmt.Sprintf(" and %02d/100", c)
}

// numberWords spells n in English words, lower case, without "and" ("two hundred fifty").
func numberWords(n int64) string {
	if n < 20 {
		return ones[n]
	}
	var parts []string
	for _, sc := range []struct {
		v    int64
		name string
	}{{1_000_000_000_000, "trillion"}, {1_000_000_000, "billion"}, {1_000_000, "million"}, {1000, "thousand"}} {
		if n >= sc.v {
			parts = append(parts, below1000(n/sc.v)+" "+sc.name)
			n %= sc.v
		}
	}
	if n > 0 {
		parts = append(parts, below1000(n))
	}
	return strings.Join(parts, " ")
}

func below1000(n int64) string {
	var parts []string
	if n >= 100 {
		parts = append(parts, ones[n/100]+" hundred")
		n %= 100
	}
	switch {
	case n == 0:
	case n < 20:
		parts = append(parts, ones[n])
	case n%10 == 0:
		parts = append(parts, tens[n/10])
	default:
		parts = append(parts, tens[n/10]+"-"+ones[n%10])
	}
	return strings.Join(parts, " ")
}
