package micr

// Summary scores read lines against their truth.
type Summary struct {
	Lines, Exact  int
	Chars, Errors int // truth characters and edit operations (substitutions, drops, additions)
	// Confusion counts truth character -> read character over the aligned characters; a dropped
	// character is read as '-', an added one comes from '+'.
	Confusion map[[2]rune]int
}

// ExactRate is the share of lines read exactly.
func (s Summary) ExactRate() float64 {
	if s.Lines == 0 {
		return 0
	}
	return float64(s.Exact) / float64(s.Lines)
}

// CharAccuracy is one less the edit distance per truth character.
func (s Summary) CharAccuracy() float64 {
	if s.Chars == 0 {
		return 0
	}
	return 1 - float64(s.Errors)/float64(s.Chars)
}

// Add scores one line: truth and what was read, spaces already removed.
func (s *Summary) Add(truth, got string) {
	if s.Confusion == nil {
		s.Confusion = map[[2]rune]int{}
	}
	s.Lines++
	if truth == got {
		s.Exact++
	}
	t, g := []rune(truth), []rune(got)
	s.Chars += len(t)
	// Levenshtein table with a backtrace for the confusions.
	d := make([][]int, len(t)+1)
	for i := range d {
		d[i] = make([]int, len(g)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(t); i++ {
		for j := 1; j <= len(g); j++ {
			c := 1
			if t[i-1] == g[j-1] {
				c = 0
			}
			d[i][j] = min(d[i-1][j-1]+c, d[i-1][j]+1, d[i][j-1]+1)
		}
	}
	s.Errors += d[len(t)][len(g)]
	for i, j := len(t), len(g); i > 0 || j > 0; {
		switch {
		case i > 0 && j > 0 && d[i][j] == d[i-1][j-1]+b2i(t[i-1] != g[j-1]):
			s.Confusion[[2]rune{t[i-1], g[j-1]}]++
			i, j = i-1, j-1
		case i > 0 && d[i][j] == d[i-1][j]+1:
			s.Confusion[[2]rune{t[i-1], '-'}]++
			i--
		default:
			s.Confusion[[2]rune{'+', g[j-1]}]++
			j--
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
