package specimen

import (
	"fmt"
	"math/rand"
	"strings"
)

// BlankSpecimen is a bank's blank specimen check: nothing filled in, the MICR line printed with
// the routing number 123456789 that sample checks carry (which fails the ABA checksum).
func BlankSpecimen(w Weight) Check {
	return Check{Style: Blank, Bank: "FIRST NATIONAL BANK OF ANYTOWN", Routing: "123456789", Account: "000123456789",
		CheckNumber: "1001", MICR: "T123456789T 000123456789U 1001", Weight: w}
}

// Personal1975 is a 1975-style personal check with a clean MICR line: a valid routing number
// (121000358), the account written with dashes, the serial after the on-us symbol.
func Personal1975(w Weight) Check {
	return Check{Style: Vintage, Name: "HAROLD J. PETERSEN", Address: "1208 Elm Street, Fresno, Calif.",
		Bank: "BANK OF AMERICA  FRESNO MAIN OFFICE", CheckNumber: "312", Date: "1975-06-14",
		Payee: "Valley Hardware", Amount: "42.50", LegalAmount: "Forty-two and 50/100", Memo: "paint",
		Routing: "121000358", Account: "0312D04718", MICR: "T121000358T 0312D04718U 0312", Weight: w}
}

var (
	names   = []string{"ALEX MORGAN", "PRIYA SHAH", "DANIEL OKAFOR", "MEI LIN CHEN", "SARAH O'BRIEN", "JORGE RAMIREZ"}
	streets = []string{"42 Harbor Lane, Springfield", "9 Birch Court, Dayton OH", "118 Main St, Albany NY", "77 Ocean Ave, Tampa FL"}
	banks   = []string{"FIRST SPRINGFIELD BANK", "LAKESIDE CREDIT UNION", "CITIZENS TRUST BANK", "PIONEER SAVINGS"}
	payees  = []string{"ACME Corporation", "Blue River Plumbing", "Northwind Traders", "City Water Dept", "Maria Lopez", "Oakridge Dental"}
	memos   = []string{"invoice 2291", "rent", "order 5512", "deposit", "repairs", "membership"}
	ones    = []string{"", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
		"thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// words spells 1 <= n < 1,000,000 in the words of a check's legal line.
func words(n int) string {
	var p []string
	if n >= 1000 {
		p = append(p, words(n/1000), "thousand")
		n %= 1000
	}
	if n >= 100 {
		p = append(p, ones[n/100], "hundred")
		n %= 100
	}
	switch {
	case n >= 20 && n%10 != 0:
		p = append(p, tens[n/10]+"-"+ones[n%10])
	case n >= 20:
		p = append(p, tens[n/10])
	case n > 0:
		p = append(p, ones[n])
	}
	return strings.Join(p, " ")
}

// routing makes a valid routing number: a Federal Reserve district prefix, six digits and the
// ABA check digit.
func routing(rng *rand.Rand) string {
	d := []int{rng.Intn(2), 0, 0, 0, 0, 0, 0, 0}
	if d[0] == 0 {
		d[1] = 1 + rng.Intn(9)
	} else {
		d[1] = rng.Intn(3)
	}
	for i := 2; i < 8; i++ {
		d[i] = rng.Intn(10)
	}
	w := []int{3, 7, 1, 3, 7, 1, 3, 7}
	s := 0
	var b strings.Builder
	for i, v := range d {
		s += w[i] * v
		b.WriteByte(byte('0' + v))
	}
	b.WriteByte(byte('0' + (10-s%10)%10))
	return b.String()
}

// Random draws a filled personal check at weight w.
func Random(rng *rand.Rand, w Weight) Check {
	dollars, cents := 1+rng.Intn(4999), rng.Intn(100)
	legal := words(dollars)
	legal = strings.ToUpper(legal[:1]) + legal[1:]
	cc := fmt.Sprintf("%02d/100", cents)
	if cents == 0 {
		cc = "no/100"
	}
	num := fmt.Sprint(1001 + rng.Intn(8998))
	acct := fmt.Sprint(rng.Int63n(9e9) + 1e9)
	if rng.Intn(3) == 0 {
		acct = acct[:4] + "D" + acct[4:]
	}
	r := routing(rng)
	return Check{Style: Personal, Name: names[rng.Intn(len(names))], Address: streets[rng.Intn(len(streets))],
		Bank: banks[rng.Intn(len(banks))], CheckNumber: num,
		Date:  fmt.Sprintf("2026-%02d-%02d", 1+rng.Intn(12), 1+rng.Intn(28)),
		Payee: payees[rng.Intn(len(payees))], Amount: fmt.Sprintf("%d.%02d", dollars, cents),
		LegalAmount: legal + " and " + cc, Memo: memos[rng.Intn(len(memos))],
		Routing: r, Account: acct, MICR: "T" + r + "T " + acct + "U " + num, Weight: w}
}
