package dialogue

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FormatValue renders a slot value for a customer: amounts as money, dates spelled out, long
// digit strings (card and account numbers) as their last four digits.
func FormatValue(typ string, v any) string {
	switch typ {
	case "amount":
		if f, ok := toFloat(v); ok {
			return Money(f)
		}
	case "digits":
		// A card or account number is never shown whole: its last four digits name it.
		if s, ok := v.(string); ok && len(s) >= 8 && strings.Trim(s, "0123456789") == "" {
			return s[len(s)-4:]
		}
	case "date":
		if s, ok := v.(string); ok {
			if t, err := time.Parse("2006-01-02", s); err == nil {
				return t.Format("Jan 2, 2006")
			}
		}
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Money formats an amount as "$1,250.75".
func Money(f float64) string {
	cents := int64(math.Round(math.Abs(f) * 100))
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	sign := ""
	if f < 0 {
		sign = "-"
	}
	return fmt.Sprintf("%s$%s.%02d", sign, b.String(), cents%100)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimLeft(strings.ReplaceAll(x, ",", ""), "$"), 64)
		return f, err == nil
	}
	return 0, false
}

var placeholder = regexp.MustCompile(`\{(\w+)(?::([^}]*))?\}`)

// fill replaces {name} with the value of name and {name:text} with text when name has a value.
func fill(tmpl string, value func(name string) string) string {
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		v := value(sub[1])
		if strings.Contains(m, ":") {
			if v == "" {
				return ""
			}
			return sub[2]
		}
		return v
	})
}
