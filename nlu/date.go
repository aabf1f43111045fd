package nlu

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

var months = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

var monthPrefixes = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

var ordinals = map[string]int{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
	"eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
	"fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
	"nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}

const monthRe = `(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`

var (
	reISO     = regexp.MustCompile(`\b(\d{4})-(\d{1,2})-(\d{1,2})\b`)
	reUS      = regexp.MustCompile(`\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b`)
	reMDY     = regexp.MustCompile(`(?i)\b` + monthRe + `\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4})\b)?`)
	reDMY     = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?` + monthRe + `(?:,?\s+(\d{4})\b)?`)
	reMonthW  = regexp.MustCompile(`(?i)\b` + monthRe + `\s+(?:the\s+)?((?:twenty|thirty)[\s-]+)?([a-z]+)\b(?:,?\s+(\d{4})\b)?`)
	reWMonth  = regexp.MustCompile(`(?i)\bthe\s+((?:twenty|thirty)[\s-]+)?([a-z]+)\s+of\s+` + monthRe + `(?:,?\s+(\d{4})\b)?`)
	reRelativ = regexp.MustCompile(`(?i)\b(today|yesterday|tomorrow|day before yesterday|day after tomorrow)\b`)
)

// Date is a calendar date found in text.
type Date struct {
	// ISO is the date as YYYY-MM-DD.
	ISO        string `json:"iso"`
	Text       string `json:"text"`
	Start, End int    `json:"-"`
}

// ParseDates finds dates in text: "11/20/2026", "2026-11-20", "Nov 20, 2026", "November
// twentieth", "the 3rd of May", and "today", "yesterday", "tomorrow" relative to ref. A date
// without a year takes ref's year.
func ParseDates(text string, ref time.Time) []Date {
	if ref.IsZero() {
		ref = time.Now()
	}
	var out []Date
	taken := func(s, e int) bool {
		for _, d := range out {
			if s < d.End && e > d.Start {
				return true
			}
		}
		return false
	}
	add := func(s, e int, y int, m time.Month, d int) {
		if taken(s, e) || m < 1 || m > 12 || d < 1 || d > 31 {
			return
		}
		t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d { // 31 June
			return
		}
		out = append(out, Date{ISO: t.Format("2006-01-02"), Text: text[s:e], Start: s, End: e})
	}
	year := func(s string) int {
		if s == "" {
			return ref.Year()
		}
		y, _ := strconv.Atoi(s)
		if len(s) == 2 {
			y += 2000
			if y > ref.Year()+20 {
				y -= 100
			}
		}
		return y
	}
	// Cheap tests first: most messages have no date, and the expressions are not free.
	lower := strings.ToLower(text)
	digits := strings.ContainsAny(text, "0123456789")
	month := false
	for _, m := range monthPrefixes {
		if strings.Contains(lower, m) {
			month = true
			break
		}
	}
	relative := strings.Contains(lower, "today") || strings.Contains(lower, "yesterday") || strings.Contains(lower, "tomorrow")
	run := func(re *regexp.Regexp, ok bool) [][]int {
		if !ok {
			return nil
		}
		return re.FindAllStringSubmatchIndex(text, -1)
	}
	for _, m := range run(reISO, digits) {
		g := groups(text, m)
		mo, _ := strconv.Atoi(g[2])
		d, _ := strconv.Atoi(g[3])
		add(m[0], m[1], year(g[1]), time.Month(mo), d)
	}
	for _, m := range run(reUS, digits) {
		g := groups(text, m)
		mo, _ := strconv.Atoi(g[1])
		d, _ := strconv.Atoi(g[2])
		add(m[0], m[1], year(g[3]), time.Month(mo), d)
	}
	for _, m := range run(reMDY, digits && month) {
		g := groups(text, m)
		d, _ := strconv.Atoi(g[2])
		add(m[0], m[1], year(g[3]), monthOf(g[1]), d)
	}
	for _, m := range run(reDMY, digits && month) {
		g := groups(text, m)
		d, _ := strconv.Atoi(g[1])
		add(m[0], m[1], year(g[3]), monthOf(g[2]), d)
	}
	for _, m := range run(reMonthW, month) {
		g := groups(text, m)
		if d := ordinalDay(g[2], g[3]); d > 0 {
			add(m[0], m[1], year(g[4]), monthOf(g[1]), d)
		}
	}
	for _, m := range run(reWMonth, month) {
		g := groups(text, m)
		if d := ordinalDay(g[1], g[2]); d > 0 {
			add(m[0], m[1], year(g[4]), monthOf(g[3]), d)
		}
	}
	for _, m := range run(reRelativ, relative) {
		if taken(m[0], m[1]) {
			continue
		}
		var t time.Time
		switch strings.ToLower(text[m[2]:m[3]]) {
		case "today":
			t = ref
		case "yesterday":
			t = ref.AddDate(0, 0, -1)
		case "tomorrow":
			t = ref.AddDate(0, 0, 1)
		case "day before yesterday":
			t = ref.AddDate(0, 0, -2)
		case "day after tomorrow":
			t = ref.AddDate(0, 0, 2)
		}
		out = append(out, Date{ISO: t.Format("2006-01-02"), Text: text[m[0]:m[1]], Start: m[0], End: m[1]})
	}
	return out
}

// groups returns the submatches of m, "" for those that did not take part.
func groups(text string, m []int) []string {
	g := make([]string, len(m)/2)
	for i := range g {
		if m[2*i] >= 0 {
			g[i] = text[m[2*i]:m[2*i+1]]
		}
	}
	return g
}

func monthOf(s string) time.Month {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if m, ok := months[s]; ok {
		return m
	}
	if len(s) >= 3 {
		return months[s[:3]]
	}
	return 0
}

// ordinalDay reads "twentieth", "twenty first" (tens "twenty " and word "first").
func ordinalDay(tens, word string) int {
	o, ok := ordinals[strings.ToLower(word)]
	if !ok {
		return 0
	}
	switch t := strings.ToLower(strings.TrimRight(tens, " -\t")); t {
	case "":
		return o
	case "twenty":
		if o < 10 {
			return 20 + o
		}
	case "thirty":
		if o < 2 {
			return 30 + o
		}
	}
	return 0
}
