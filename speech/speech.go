// Package speech turns reply text into spoken audio. The default synthesizer runs the espeak-ng
// command line (its C library keeps process-wide state, and the command synthesises about 250
// times faster than real time); rate and pauses come from the reply's style.
package speech

import (
	"context"
	"errors"
	"html"
	"regexp"
	"strings"
	"unicode"
)

// Errors of the synthesizers.
var (
	// ErrUnavailable is returned when the synthesizer's program is not installed.
	ErrUnavailable = errors.New("speech: synthesizer not installed")
	// ErrNothingToSay is returned for text with no speakable characters.
	ErrNothingToSay = errors.New("speech: no text to speak")
)

// Rates in words per minute chosen by the reply style.
const (
	RateNormal = 175 // a calm customer
	RateSlow   = 130 // a frustrated or confused customer
	MinRate    = 80
	MaxRate    = 400
)

// MaxChars bounds the text spoken for one reply; longer text is cut at a sentence boundary.
const MaxChars = 4000

// Options say how to speak.
type Options struct {
	// RateWPM is the speaking rate in words per minute (default RateNormal).
	RateWPM int
	// PauseMS is the silence between sentences and steps, in milliseconds.
	PauseMS int
	// Voice is the synthesizer's voice name (default "en-us").
	Voice string
	// Format is "wav" (default) or "opus" (Ogg Opus, through ffmpeg).
	Format string
}

// Synthesizer speaks text.
type Synthesizer interface {
	// Synthesize returns the spoken text as a complete audio file (WAV unless opts.Format says
	// otherwise).
	Synthesize(ctx context.Context, text string, opts Options) ([]byte, error)
}

// MIME returns the content type of audio made with opts.
func (o Options) MIME() string {
	if o.Format == "opus" {
		return "audio/ogg"
	}
	return "audio/wav"
}

var (
	urlRe      = regexp.MustCompile(`https?://\S+`)
	sentenceRe = regexp.MustCompile(`([.!?;:])\s+`)
	stepRe     = regexp.MustCompile(`(?m)^\s*(\d+[.)]|[-*•])\s+`)
)

// Sentences splits reply text into the sentences and steps spoken with a pause between them. Links
// are not read out, markdown marks and control characters are dropped.
func Sentences(text string) []string {
	text = urlRe.ReplaceAllString(text, "the link below")
	text = stepRe.ReplaceAllString(text, "\n")
	text = strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return '\n'
		case unicode.IsControl(r) || r == unicode.ReplacementChar:
			return ' '
		case r == '*' || r == '_' || r == '#' || r == '`' || r == '<' || r == '>' || r == '[' || r == ']' || r == '|':
			return ' '
		}
		return r
	}, text)
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = sentenceRe.ReplaceAllString(line, "$1\n")
		for _, s := range strings.Split(line, "\n") {
			s = strings.Join(strings.Fields(s), " ")
			if strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
				out = append(out, s)
			}
		}
	}
	return out
}

// ssml builds the SSML document for sentences with pauseMS of silence between them, cut to
// MaxChars.
func ssml(sentences []string, pauseMS int) string {
	var b strings.Builder
	b.WriteString("<speak>")
	n := 0
	for i, s := range sentences {
		if n+len(s) > MaxChars {
			if i == 0 {
				s = s[:strings.LastIndexByte(s[:MaxChars], ' ')+1]
			} else {
				break
			}
		}
		n += len(s)
		if i > 0 && pauseMS > 0 {
			b.WriteString(`<break time="`)
			b.WriteString(itoa(min(pauseMS, 5000)))
			b.WriteString(`ms"/>`)
		}
		b.WriteString(html.EscapeString(s))
		b.WriteString(" ")
	}
	b.WriteString("</speak>")
	return b.String()
}

func itoa(n int) string {
	if n <= 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
