// Package display reads error codes from the displays of appliances in photos and video frames:
// seven-segment displays (lit LED segments or dark liquid-crystal ones) and 5x7 dot-matrix
// displays. It locates the characters by their own colour, thresholds them, and either samples the
// seven segment positions of each character cell or, where the lit parts are dots on a grid,
// samples each character's 5x7 dots and matches them to the font; every character comes with a
// confidence. The stage image.display turns a reading into an error_code observation with the crop
// of the display.
package display

// Segment bits, in the usual a..g order: a top, b upper right, c lower right, d bottom, e lower
// left, f upper left, g middle.
const (
	segA = 1 << iota
	segB
	segC
	segD
	segE
	segF
	segG
)

// glyphs maps segment patterns to the characters a seven-segment display shows.
var glyphs = map[uint8]byte{
	segA | segB | segC | segD | segE | segF:        '0',
	segB | segC:                                    '1',
	segA | segB | segD | segE | segG:               '2',
	segA | segB | segC | segD | segG:               '3',
	segB | segC | segF | segG:                      '4',
	segA | segC | segD | segF | segG:               '5',
	segA | segC | segD | segE | segF | segG:        '6',
	segA | segB | segC:                             '7',
	segA | segB | segC | segD | segE | segF | segG: '8',
	segA | segB | segC | segD | segF | segG:        '9',
	segA | segD | segE | segF | segG:               'E',
	segA | segE | segF | segG:                      'F',
	segB | segC | segD | segE | segG:               'd',
	segA | segD | segE | segF:                      'C',
	segB | segC | segE | segF | segG:               'H',
	segD | segE | segF:                             'L',
	segA | segB | segE | segF | segG:               'P',
	segB | segC | segD | segE | segF:               'U',
	segC | segD | segE | segF | segG:               'b',
	segA | segB | segC | segE | segF | segG:        'A',
	segE | segG:                                    'r',
	segC | segE | segG:                             'n',
	segC | segD | segE | segG:                      'o',
	segD | segE | segF | segG:                      't',
	segG:                                           '-',
}

// Glyph returns the segment pattern of a character, and whether the display can show it.
func Glyph(c byte) (uint8, bool) {
	for p, g := range glyphs {
		if g == c {
			return p, true
		}
	}
	return 0, false
}

// nearest returns the character whose pattern is closest to p, weighting each disagreeing segment
// by how sure its sample was (sure[i] in [0,1]); the cost is the summed sureness of the segments
// that disagree.
func nearest(p uint8, sure [7]float64) (byte, float64) {
	best, bestCost := byte('?'), 1e9
	for q, g := range glyphs {
		cost := 0.0
		for i := 0; i < 7; i++ {
			if (p^q)&(1<<i) != 0 {
				cost += 0.2 + sure[i]
			}
		}
		if cost < bestCost || cost == bestCost && g < best {
			best, bestCost = g, cost
		}
	}
	return best, bestCost
}
