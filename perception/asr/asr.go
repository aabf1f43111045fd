// Package asr recognises speech with pocketsphinx, focused by what the dialogue expects: a JSGF
// grammar is built on the fly from the expectation (yes/no, amounts, digit strings, dates, menu
// choices, the pack's intent phrases, product names and error codes) and checked against a domain
// trigram language model built from the knowledge packs, so an answer outside the grammar is not
// forced into it. An OpenAI-compatible transcription endpoint can be used for open-ended speech.
package asr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// DefaultModelDir is where Debian's pocketsphinx-en-us package installs the English model.
const DefaultModelDir = "/usr/share/pocketsphinx/model/en-us"

// LowConfidence is the confidence below which a result is marked low, so the dialogue confirms it.
const LowConfidence = 0.6

// The grammar's reading is judged forced when its words cover less than forcedCoverage of the
// frames the open model's words cover (and the open reading's mean word posterior is at least
// forcedCoverageConf), or when the readings differ in more than forcedDisagreement
// of the open reading's words while the open reading's words have a mean posterior of at least
// forcedOpenConf.
const (
	forcedCoverage     = 0.75
	forcedDisagreement = 0.7
	forcedOpenConf     = 0.4
	forcedCoverageConf = 0.5
)

// Config configures a Recognizer.
type Config struct {
	// ModelDir holds the acoustic model directory en-us/ and cmudict-en-us.dict.
	ModelDir string
	// Packs supplies intent examples and vocabulary for grammars and the language model; may be nil.
	Packs perception.PackSource
	// Decoders is the size of the decoder pool (default: min(NumCPU, 4)).
	Decoders int
	// Limits bound decoded audio (default media.DefaultLimits).
	Limits media.Limits
	// MaxSpeech is the longest stretch decoded locally (default 60 s); the rest of a longer voice
	// note is ignored, so one upload cannot hold a decoder for minutes.
	MaxSpeech time.Duration
	// DecoderArgs are extra pocketsphinx settings, such as "-fwdflat", "no".
	DecoderArgs []string
	// Cloud, when set, transcribes open-ended speech the local recogniser is unsure of.
	Cloud *Cloud
	// GeneralLM is pocketsphinx's general English model (default ModelDir/en-us.lm.bin). The open
	// search interpolates it with the pack's domain model; when the file is missing the open
	// search uses the domain model alone.
	GeneralLM string
	// NoDenoise turns off the spectral-subtraction front end.
	NoDenoise bool
	// GeneralWeight is the general model's share of the interpolation (0: DefaultGeneralWeight); a
	// negative weight leaves the general model out.
	GeneralWeight float64
}

// DefaultGeneralWeight is the general English model's share of the open search's language model.
const DefaultGeneralWeight = 0.15

// Result is one recognised utterance.
type Result struct {
	Text       string
	Confidence float64
	// Low marks a result the dialogue should confirm.
	Low bool
	// Alts are lower-ranked readings, best first.
	Alts []perception.Alternative
	// Search says which model produced Text: "grammar", "lm" or "cloud".
	Search     string
	Start, End time.Duration
}

// Recognizer is a pool of pocketsphinx decoders loaded once; it is safe for concurrent use.
type Recognizer struct {
	cfg    Config
	hmm    string
	dict   string
	lex    *lexicon
	words  map[string]bool // the domain words every decoder starts with
	pool   chan *decoder
	make   chan struct{} // tokens for decoders not yet created
	lmDir  string
	mu     sync.Mutex
	lms    map[string]lmFile
	recent []cached // the last decodes, so an utterance judged complete is not decoded twice
	closed bool
}

type lmFile struct {
	path, hash string
	words      []string
}

// ErrNoSpeech is returned when the recogniser hears no words in the audio.
var ErrNoSpeech = errors.New("asr: no words recognised")

// New loads the first decoder (the rest are created on demand) and returns the recogniser. It
// returns an error wrapping perception.ErrUnavailable when the model is not installed.
func New(cfg Config) (*Recognizer, error) {
	if cfg.ModelDir == "" {
		cfg.ModelDir = DefaultModelDir
	}
	if cfg.Decoders <= 0 {
		cfg.Decoders = min(runtime.NumCPU(), 4)
	}
	if cfg.MaxSpeech <= 0 {
		cfg.MaxSpeech = time.Minute
	}
	if cfg.Limits == (media.Limits{}) {
		cfg.Limits = media.DefaultLimits()
	}
	if cfg.GeneralLM == "" {
		cfg.GeneralLM = filepath.Join(cfg.ModelDir, "en-us.lm.bin")
	}
	if cfg.GeneralWeight == 0 || cfg.GeneralWeight >= 1 {
		cfg.GeneralWeight = DefaultGeneralWeight
	}
	r := &Recognizer{
		cfg:  cfg,
		hmm:  filepath.Join(cfg.ModelDir, "en-us"),
		dict: filepath.Join(cfg.ModelDir, "cmudict-en-us.dict"),
		pool: make(chan *decoder, cfg.Decoders),
		make: make(chan struct{}, cfg.Decoders),
		lms:  map[string]lmFile{},
	}
	for _, p := range []string{filepath.Join(r.hmm, "mdef"), r.dict} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w: pocketsphinx model file %s is missing (apt-get install pocketsphinx-en-us)", perception.ErrUnavailable, p)
		}
	}
	lex, err := loadLexicon(r.dict)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", perception.ErrUnavailable, err)
	}
	r.lex = lex
	dir, err := os.MkdirTemp("", "parley-asr-")
	if err != nil {
		return nil, err
	}
	r.lmDir = dir
	// The dictionary: every word the lexicon knows, since the open search's general model speaks
	// all of English.
	r.words = make(map[string]bool, len(lex.prons))
	for w := range lex.prons {
		r.words[w] = true
	}
	if _, err := os.Stat(cfg.GeneralLM); err != nil || cfg.GeneralWeight < 0 {
		r.cfg.GeneralLM = ""
	}
	r.dict = filepath.Join(dir, "words.dict")
	if err := lex.writeDict(r.dict, r.words); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d, err := newDecoder(r.hmm, r.dict, r.words, r.cfg.DecoderArgs)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w: %v", perception.ErrUnavailable, err)
	}
	r.pool <- d
	for i := 1; i < cfg.Decoders; i++ {
		r.make <- struct{}{}
	}
	return r, nil
}

// Close frees the decoders once they are returned to the pool, or when ctx ends.
func (r *Recognizer) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	defer os.RemoveAll(r.lmDir)
	created := r.cfg.Decoders - len(r.make)
	for i := 0; i < created; i++ {
		select {
		case d := <-r.pool:
			d.close()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (r *Recognizer) acquire(ctx context.Context) (*decoder, error) {
	select {
	case d := <-r.pool:
		return d, nil
	default:
	}
	select {
	case d := <-r.pool:
		return d, nil
	case <-r.make:
		d, err := newDecoder(r.hmm, r.dict, r.words, r.cfg.DecoderArgs)
		if err != nil {
			r.make <- struct{}{}
			return nil, err
		}
		return d, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lm returns the language model file of a pack, writing it on first use.
func (r *Recognizer) lm(pack string, known func(string) bool) (lmFile, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.lms[pack]; ok {
		return f, nil
	}
	var sents []string
	seen := map[string]bool{}
	var words []string
	for _, s := range corpus(pack, r.cfg.Packs) {
		if w := filterKnown(s, known); w != "" {
			sents = append(sents, w)
			for _, x := range strings.Fields(w) {
				if !seen[x] {
					seen[x] = true
					words = append(words, x)
				}
			}
		}
	}
	path := filepath.Join(r.lmDir, "lm-"+safeName(pack)+".lm")
	f, err := os.Create(path)
	if err != nil {
		return lmFile{}, err
	}
	if err := writeARPA(f, sents); err != nil {
		f.Close()
		return lmFile{}, err
	}
	if err := f.Close(); err != nil {
		return lmFile{}, err
	}
	lf := lmFile{path: path, hash: fmt.Sprintf("%s-%d", pack, len(sents)), words: words}
	r.lms[pack] = lf
	return lf, nil
}

func safeName(s string) string {
	if s == "" {
		return "all"
	}
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			return c
		}
		return '_'
	}, strings.ToLower(s))
}

// Recognize transcribes 16 kHz mono speech given what the dialogue expects.
func (r *Recognizer) Recognize(ctx context.Context, pcm media.PCM, e perception.Expectation) (Result, error) {
	return r.recognize(ctx, pcm, e, false)
}

// recognize is Recognize; keep leaves the readings for the next recognize of the same samples
// under the same expectation, which takes them instead of decoding again.
func (r *Recognizer) recognize(ctx context.Context, pcm media.PCM, e perception.Expectation, keep bool) (Result, error) {
	if pcm.Rate != media.SpeechRate {
		return Result{}, fmt.Errorf("asr: audio at %d Hz, want %d", pcm.Rate, media.SpeechRate)
	}
	samples := pcm.Samples
	if maxN := int(r.cfg.MaxSpeech.Seconds() * media.SpeechRate); len(samples) > maxN {
		samples = samples[:maxN]
	}
	key := expectKey(e)
	g, l, ok := r.take(samples, key)
	if !ok {
		d, err := r.acquire(ctx)
		if err != nil {
			return Result{}, err
		}
		g, l, err = r.decode(d, samples, e)
		r.pool <- d
		if err != nil {
			return Result{}, err
		}
		if keep {
			r.keep(samples, key, g, l)
		}
	}
	res := choose(g, l)
	if r.cfg.Cloud != nil && (res.Low || res.Search == "lm") {
		if text, err := r.cfg.Cloud.Transcribe(ctx, media.EncodeWAV(pcm)); err == nil && strings.TrimSpace(text) != "" {
			local := res
			res = Result{Text: strings.TrimSpace(text), Confidence: 0.85, Search: "cloud", Start: local.Start, End: local.End}
			if local.Text != "" {
				res.Alts = append([]perception.Alternative{{Value: local.Text, Confidence: local.Confidence}}, local.Alts...)
			}
		}
	}
	if res.Text == "" {
		return res, ErrNoSpeech
	}
	return res, nil
}

// decode runs the searches for e: the domain language model alone for open speech, and for a
// constrained answer (amount, yes/no, digits, date, choice) the expectation's grammar checked
// against the language model. g is empty when no grammar ran.
func (r *Recognizer) decode(d *decoder, samples []int16, e perception.Expectation) (g, l hyp, err error) {
	// Each search decodes the recording as one whole utterance, normalised over itself (batch
	// cepstral mean), as it is: no padding with its own background. On real recordings
	// (../shared/data/speech_real, every tenth FSDD digit and all AN4 and pocketsphinx files)
	// padding and live normalisation gave 65% WER, live normalisation alone 39%, this 33%.
	// Denoising runs only on a recording that holds a pause to estimate the noise from.
	if !r.cfg.NoDenoise && hasPause(samples) {
		samples = denoise(samples)
	}
	if constrained(e) {
		fsg := grammarFSG(e, packPhrases(r.cfg.Packs), r.lex.known)
		text, gh := fsg.text(), fsg.hash()
		d.setWIP(grammarWIP)
		d.setBeams(grammarBeams)
		err := d.setFSG("grammar", text, gh)
		d.setBeams(defaultBeams)
		if err != nil {
			return g, l, err
		}
		if g, err = d.decodeUtt("grammar", samples, 5, true); err != nil {
			return g, l, err
		}
	}
	lf, err := r.lm(e.Pack, r.lex.known)
	if err != nil {
		return g, l, err
	}
	d.setWIP(openWIP)
	if typed(e) && r.cfg.GeneralLM != "" {
		// Under a typed expectation the domain model alone checks the grammar's reading, at a
		// fraction of the general model's cost; only when the grammar's reading is forced does
		// the open search with the general model decode the answer.
		if err := d.setLM("domain-"+e.Pack, lf.path, lf.hash); err != nil {
			return g, l, err
		}
		if l, err = d.decodeUtt("domain-"+e.Pack, samples, 5, true); err != nil || g.Text != "" && !forced(g, l) {
			return g, l, err
		}
	}
	name := "lm-" + e.Pack
	if r.cfg.GeneralLM == "" {
		err = d.setLM(name, lf.path, lf.hash)
	} else {
		err = d.setMixedLM(name, r.cfg.GeneralLM, lf.path, r.cfg.GeneralWeight, lf.hash)
	}
	if err != nil {
		return g, l, err
	}
	l, err = d.decodeUtt(name, samples, 5, true)
	return g, l, err
}

// grammarBeams are the grammar search's beams, wider than pocketsphinx's defaults: a grammar has
// few paths, so pruning them harder saves little time and loses the right answer. On the
// development half of FSDD (recordings 5-49, every tenth; the official test half, 0-4, was not
// used to choose) the default beams gave 30.7% WER on spoken digits, beams of 1e-60 gave 27.0%,
// and 1e-80 no further gain. On the held-out test half the gain mostly did not carry over: 28.6%
// either way clean, 52.1% -> 50.7% with babble at 10 dB; AN4 digit strings 10.7% -> 7.1%.
var grammarBeams = beams{1e-60, 1e-60, 1e-40}

// grammarWIP and openWIP are the word insertion penalties of the grammar and open searches.
const (
	grammarWIP = 1e-5
	openWIP    = 0.65
)

// constrained reports whether the expectation narrows what the customer may say enough for a
// grammar. Open speech goes to the language model only: a grammar of example sentences would bend
// an unseen request into the nearest example, and text understanding would act on words never said.
func constrained(e perception.Expectation) bool {
	switch e.Type {
	case "amount", "yesno", "digits", "date", "choice":
		return true
	}
	return len(e.Phrases) > 0
}

// choose picks between the grammar's and the language model's readings. The grammar wins unless
// the open model's words fit the audio clearly better: then the customer said something the
// grammar does not cover, and forcing it into the grammar would invent an answer.
func choose(g, l hyp) Result {
	pick, other, search := g, l, "grammar"
	if g.Text == "" || (l.Text != "" && forced(g, l)) || g.Frames == 0 && l.Frames == 0 {
		pick, other, search = l, g, "lm"
	}
	if pick.Text == "" {
		return Result{}
	}
	conf := pick.WordConf
	agree := 1.0
	if other.Text != "" || search == "grammar" {
		// Two searches that agree make the reading surer; disagreement makes it doubtful.
		agree = 1 - min(1, wordErrorRate(pick.Text, other.Text))
		conf *= 0.6 + 0.4*agree
	}
	res := Result{
		Text: pick.Text, Confidence: conf, Low: conf < LowConfidence, Search: search,
		Start: time.Duration(pick.StartFrame) * 10 * time.Millisecond,
		End:   time.Duration(pick.EndFrame+1) * 10 * time.Millisecond,
	}
	seen := map[string]bool{pick.Text: true}
	add := func(t string, c float64) {
		if t != "" && !seen[t] {
			seen[t] = true
			res.Alts = append(res.Alts, perception.Alternative{Value: t, Confidence: c})
		}
	}
	add(other.Text, other.WordConf*(0.6+0.4*agree))
	for i, t := range pick.NBest {
		add(t, conf*0.8/float64(i+1))
	}
	for i, t := range other.NBest {
		add(t, conf*0.5/float64(i+1))
	}
	if len(res.Alts) > 5 {
		res.Alts = res.Alts[:5]
	}
	return res
}

// forced reports whether the grammar reading g was forced onto speech it does not cover: its words
// span clearly less of the speech than the open model's (the grammar absorbed the rest as noise),
// or the two readings share almost no words.
func forced(g, l hyp) bool {
	if float64(g.Frames) < forcedCoverage*float64(l.Frames) && l.WordConf >= forcedCoverageConf {
		return true
	}
	// Disagreement counts only when the open reading is itself sure: in noise the open model
	// produces confident-looking garbage less often than it produces unsure garbage.
	return len(strings.Fields(l.Text)) >= 3 && l.WordConf >= forcedOpenConf && wordErrorRate(l.Text, g.Text) > forcedDisagreement
}

// wordErrorRate is the word-level edit distance between ref and hyp divided by len(ref).
func wordErrorRate(ref, hyp string) float64 {
	r, h := strings.Fields(ref), strings.Fields(hyp)
	if len(r) == 0 {
		if len(h) == 0 {
			return 0
		}
		return 1
	}
	return float64(editDistance(r, h)) / float64(len(r))
}

func editDistance(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// WER is the word error rate of hyp against ref, after normalising both to spoken words.
func WER(ref, hyp string) (errs, words int) {
	r, h := strings.Fields(spoken(ref, false)), strings.Fields(spoken(hyp, false))
	return editDistance(r, h), len(r)
}

// Spoken normalises written text to the words a person would say ("E21" -> "e twenty one").
func Spoken(text string) string { return spoken(text, false) }
