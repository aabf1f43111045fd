package reason

import (
	"regexp"
	"strings"
)

// numberRun matches a run of at least 8 digits, possibly grouped by spaces, dots or dashes: account,
// card and routing numbers.
var numberRun = regexp.MustCompile(`\d(?:[ .\-]?\d){7,}`)

// Mask replaces every long number in s (account, card, routing numbers) with bullets keeping its last
// four digits, so the cloud model never sees them whole.
func Mask(s string) string {
	return numberRun.ReplaceAllStringFunc(s, func(m string) string {
		var digits []byte
		for i := 0; i < len(m); i++ {
			if m[i] >= '0' && m[i] <= '9' {
				digits = append(digits, m[i])
			}
		}
		return strings.Repeat("•", 4) + string(digits[len(digits)-4:])
	})
}
