// Package text is the text understanding stage: it reads typed text (and transcripts fed back by
// the pipeline) into an intent, entities (amount, account, card, date, error code, product,
// digits, choice) and yes/no answers, using the nlu package with one classifier per knowledge
// pack, trained from the pack's examples when the stage is built.
package text

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/nlu"
	"github.com/parleyhq/parley/perception"
)

// ID is the stage's registered name.
const ID = "text.nlu"

// maxText bounds how much of a message is read; customer messages are short, and this keeps the
// per-call cost bounded whatever is sent.
const maxText = 4096

func init() { perception.Register(ID, New) }

// Stage understands text. It is safe for concurrent use.
type Stage struct {
	packs perception.PackSource
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]*model
}

var _ perception.Stage = (*Stage)(nil)

// model is the trained state of one pack, built once.
type model struct {
	once  sync.Once
	cls   *nlu.Classifier
	vocab *nlu.Vocab
	err   error
}

// New builds the stage and starts training a classifier for every pack of env.Packs in the
// background; a message for a pack whose classifier is not ready yet waits for it. Without packs
// the stage still extracts entities and answers.
func New(env perception.Env) (perception.Stage, error) {
	s := &Stage{packs: env.Packs, now: time.Now, cache: map[string]*model{}}
	if env.Packs != nil {
		for _, p := range env.Packs.PackNames() {
			go s.model(p)
		}
	}
	return s, nil
}

// Name implements perception.Stage.
func (s *Stage) Name() string { return ID }

// Accepts implements perception.Stage: the stage reads text.
func (s *Stage) Accepts(k media.Kind) bool { return k == media.Text }

// model returns the trained model of a pack, training it on first use.
func (s *Stage) model(pack string) *model {
	s.mu.Lock()
	m, ok := s.cache[pack]
	if !ok {
		m = &model{}
		s.cache[pack] = m
	}
	s.mu.Unlock()
	m.once.Do(func() {
		if s.packs == nil {
			m.vocab = nlu.NewVocab(nil)
			return
		}
		m.vocab = nlu.NewVocab(s.packs.Vocabulary(pack))
		var ex []nlu.Example
		byIntent := s.packs.IntentExamples(pack)
		intents := make([]string, 0, len(byIntent))
		for in := range byIntent {
			intents = append(intents, in)
		}
		slices.Sort(intents) // training is deterministic for a given pack
		for _, in := range intents {
			for _, t := range byIntent[in] {
				ex = append(ex, nlu.Example{Text: t, Label: in})
			}
		}
		if len(ex) == 0 {
			return
		}
		m.cls, m.err = nlu.TrainWith(ex, nlu.Options{Background: true})
		if m.err != nil {
			m.err = fmt.Errorf("text: training pack %q: %w", pack, m.err)
		}
	})
	return m
}

// packFor picks the pack of the expectation, or the only pack there is.
func (s *Stage) packFor(e perception.Expectation) string {
	if e.Pack != "" || s.packs == nil {
		return e.Pack
	}
	if names := s.packs.PackNames(); len(names) == 1 {
		return names[0]
	}
	return ""
}

// Process implements perception.Stage. It emits at most one intent, the entities found and a
// yes/no answer; the expectation's type focuses it ("amount", "digits", "yesno", "choice").
func (s *Stage) Process(ctx context.Context, item media.Item, expect perception.Expectation) ([]perception.Observation, error) {
	if item.Kind != media.Text {
		return nil, fmt.Errorf("text: %w: %s", media.ErrUnsupported, item.Kind)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	text := item.Text
	if len(text) > maxText {
		text = text[:maxText]
	}
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var out []perception.Observation
	m := s.model(s.packFor(expect))
	if m.cls != nil {
		out = append(out, intentObservation(m.cls.Classify(text)))
	}
	focus := expect.Type
	if focus != "amount" && focus != "digits" && strings.Contains(expect.Slot, "amount") {
		// confirming or correcting an amount: "no, it's twelve fifty"
		focus = "amount"
	}
	for _, e := range nlu.Extract(text, nlu.ExtractOptions{Ref: s.now(), Vocab: m.vocab, Expect: focus}) {
		out = append(out, entityObservation(e))
	}
	yesno := expect.Type == "yesno"
	if a, ok := nlu.ParseYesNo(text, yesno); ok {
		c := a.Confidence
		if yesno {
			c = min(0.99, c+0.05)
		}
		out = append(out, perception.Observation{Kind: perception.KindAnswer, Value: a.Value, Confidence: c, Text: text[:a.End]})
	}
	if expect.Type == "choice" && len(expect.Choices) > 0 {
		if c, conf, ok := matchChoice(text, expect.Choices); ok {
			out = append(out, perception.Observation{Kind: perception.KindEntity, Slot: "choice", Value: c, Confidence: conf})
		}
	}
	return out, m.err
}

func intentObservation(r nlu.Result) perception.Observation {
	o := perception.Observation{Kind: perception.KindIntent, Value: r.Label, Confidence: round3(r.Confidence)}
	for _, t := range r.Top {
		o.Alts = append(o.Alts, perception.Alternative{Value: t.Label, Confidence: round3(t.Score)})
	}
	return o
}

func entityObservation(e nlu.Entity) perception.Observation {
	o := perception.Observation{Kind: perception.KindEntity, Slot: e.Type, Value: e.Value, Text: e.Text, Confidence: e.Confidence}
	if e.Type == nlu.EntAccount || e.Type == nlu.EntCard {
		// the number is the value; the text that is logged and shown is masked
		o.Text = nlu.Mask(e.Text)
	}
	for _, a := range e.Alts {
		o.Alts = append(o.Alts, perception.Alternative{Value: a, Confidence: round3(e.Confidence / 2)})
	}
	return o
}

func round3(v float64) float64 { return float64(int(v*1000+0.5)) / 1000 }

var ordinalWords = map[string]int{
	"first": 1, "one": 1, "1": 1, "1st": 1, "second": 2, "two": 2, "2": 2, "2nd": 2, "third": 3, "three": 3,
	"3": 3, "3rd": 3, "fourth": 4, "four": 4, "4": 4, "4th": 4, "fifth": 5, "five": 5, "5": 5, "5th": 5,
	"last": -1,
}

// matchChoice finds which of choices text picks: by name (all its words present, the longest
// such choice wins), then by position ("the second one", "option 2", "last").
func matchChoice(text string, choices []string) (string, float64, bool) {
	words := fieldsLower(text)
	has := map[string]bool{}
	for _, w := range words {
		has[w] = true
	}
	best, bestLen := -1, 0
	for i, c := range choices {
		cw := fieldsLower(c)
		if len(cw) == 0 {
			continue
		}
		all := true
		for _, w := range cw {
			if !has[w] {
				all = false
				break
			}
		}
		if all && len(cw) > bestLen {
			best, bestLen = i, len(cw)
		}
	}
	if best >= 0 {
		return choices[best], 0.9, true
	}
	for _, w := range words {
		if n, ok := ordinalWords[w]; ok {
			if n == -1 {
				n = len(choices)
			}
			if n >= 1 && n <= len(choices) {
				return choices[n-1], 0.7, true
			}
		}
	}
	// A single word that starts a choice's word: "wash" for "washing machine".
	for i, c := range choices {
		for _, cw := range fieldsLower(c) {
			for _, w := range words {
				if len(w) >= 4 && strings.HasPrefix(cw, w) {
					return choices[i], 0.6, true
				}
			}
		}
	}
	return "", 0, false
}

// fieldsLower splits text into lowercase words of letters and digits.
func fieldsLower(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	})
}

// String describes the stage and its packs for diagnostics.
func (s *Stage) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ID + " (" + strconv.Itoa(len(s.cache)) + " packs)"
}
