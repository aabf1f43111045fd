package text

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// packs is a small in-memory knowledge library.
type memPacks map[string]map[string][]string

func (p memPacks) PackNames() []string {
	var n []string
	for k := range p {
		n = append(n, k)
	}
	return n
}
func (p memPacks) IntentExamples(pack string) map[string][]string { return p[pack] }
func (p memPacks) Vocabulary(pack string) []string {
	if pack == "appliances" {
		return []string{"WM-3000", "E21", "F05"}
	}
	return nil
}

var demo = memPacks{
	"bank": {
		"deposit_check":  {"I want to deposit a check", "deposit this cheque", "mobile check deposit", "can I cash a check", "put a check in my account", "I have a paycheck to deposit"},
		"check_balance":  {"what is my balance", "how much money do I have", "show my account balance", "balance please", "how much is in my checking account"},
		"lost_card":      {"I lost my card", "my card was stolen", "block my card", "I can't find my debit card", "freeze my stolen credit card"},
		"dispute_charge": {"I don't recognize this charge", "dispute a transaction", "I was charged twice", "unauthorized payment on my statement", "refund a wrong charge"},
	},
	"appliances": {
		"washer_fault": {"my washing machine won't drain", "the washer shows an error", "washer is leaking", "washing machine won't spin"},
		"order_part":   {"I need a new door seal", "order a replacement part", "buy a filter", "where can I get spare parts"},
	},
}

func newStage(t *testing.T) *Stage {
	t.Helper()
	s, err := New(perception.Env{Packs: demo})
	if err != nil {
		t.Fatal(err)
	}
	st := s.(*Stage)
	st.now = func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }
	return st
}

func textItem(s string) media.Item {
	return media.Item{MessageID: "m1", Kind: media.Text, Modality: media.ModText, Text: s}
}

func find(obs []perception.Observation, kind, slot string) *perception.Observation {
	for i := range obs {
		if obs[i].Kind == kind && obs[i].Slot == slot {
			return &obs[i]
		}
	}
	return nil
}

func TestProcess(t *testing.T) {
	s := newStage(t)
	bank := perception.Expectation{Pack: "bank"}
	cases := []struct {
		name   string
		text   string
		expect perception.Expectation
		kind   string
		slot   string
		want   any
	}{
		{"intent", "I'd like to deposit a check please", bank, perception.KindIntent, "", "deposit_check"},
		{"oos", "who painted the mona lisa", bank, perception.KindIntent, "", "oos"},
		{"oos chit-chat", "can you recommend a podcast about history", bank, perception.KindIntent, "", "oos"},
		{"amount digits", "deposit a check for $1,250.75", bank, perception.KindEntity, "amount", 1250.75},
		{"amount words", "one thousand two hundred fifty dollars and seventy five cents", bank, perception.KindEntity, "amount", 1250.75},
		{"bare amount expected", "twelve fifty", perception.Expectation{Pack: "bank", Type: "amount"}, perception.KindEntity, "amount", 1250.0},
		{"digits expected", "one two three four", perception.Expectation{Type: "digits"}, perception.KindEntity, "digits", "1234"},
		{"account", "my account number is 12345678", bank, perception.KindEntity, "account", "12345678"},
		{"card", "card number 4111 1111 1111 1111", bank, perception.KindEntity, "card", "4111111111111111"},
		{"date", "the charge on Nov 20, 2026", bank, perception.KindEntity, "date", "2026-11-20"},
		{"relative date", "it happened yesterday", bank, perception.KindEntity, "date", "2026-11-24"},
		{"error code", "my washer shows E21", perception.Expectation{Pack: "appliances"}, perception.KindEntity, "error_code", "E21"},
		{"spoken code", "it says f five", perception.Expectation{Pack: "appliances"}, perception.KindEntity, "error_code", "F05"},
		{"product", "my wm 3000 is leaking", perception.Expectation{Pack: "appliances"}, perception.KindEntity, "product", "WM-3000"},
		{"yes", "yeah", perception.Expectation{Type: "yesno"}, perception.KindAnswer, "", "yes"},
		{"no", "nope, that's wrong", perception.Expectation{Type: "yesno"}, perception.KindAnswer, "", "no"},
		{"yes with amount", "yes, twelve fifty seventy five", perception.Expectation{Type: "yesno"}, perception.KindEntity, "amount", 1250.75},
		{"correction", "no, it's twelve fifty", perception.Expectation{Type: "yesno", Slot: "amount"}, perception.KindEntity, "amount", 1250.0},
		{"choice by name", "the dishwasher", perception.Expectation{Type: "choice", Choices: []string{"Washing machine", "Dishwasher"}}, perception.KindEntity, "choice", "Dishwasher"},
		{"choice by position", "the second one", perception.Expectation{Type: "choice", Choices: []string{"Washing machine", "Dishwasher"}}, perception.KindEntity, "choice", "Dishwasher"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := s.Process(context.Background(), textItem(tc.text), tc.expect)
			if err != nil {
				t.Fatal(err)
			}
			o := find(obs, tc.kind, tc.slot)
			if o == nil {
				t.Fatalf("no %s/%s observation in %+v", tc.kind, tc.slot, obs)
			}
			if o.Value != tc.want {
				t.Errorf("%s/%s = %v (%T), want %v (%T)", tc.kind, tc.slot, o.Value, o.Value, tc.want, tc.want)
			}
			if o.Confidence <= 0 || o.Confidence > 1 {
				t.Errorf("confidence %v", o.Confidence)
			}
		})
	}
}

func TestIntentObservation(t *testing.T) {
	s := newStage(t)
	obs, err := s.Process(context.Background(), textItem("someone stole my card"), perception.Expectation{Pack: "bank"})
	if err != nil {
		t.Fatal(err)
	}
	o := find(obs, perception.KindIntent, "")
	if o == nil || o.Value != "lost_card" {
		t.Fatalf("intent %+v", o)
	}
	if len(o.Alts) != 3 || o.Alts[0].Value != "lost_card" {
		t.Errorf("alternatives %+v, want 3 with lost_card first", o.Alts)
	}
}

func TestAmountAlternatives(t *testing.T) {
	s := newStage(t)
	obs, _ := s.Process(context.Background(), textItem("twelve fifty"), perception.Expectation{Type: "amount"})
	o := find(obs, perception.KindEntity, "amount")
	if o == nil || o.Value != 1250.0 || len(o.Alts) != 1 || o.Alts[0].Value != 12.5 {
		t.Fatalf("amount %+v, want 1250 with alternative 12.5", o)
	}
}

func TestMaskedText(t *testing.T) {
	s := newStage(t)
	obs, _ := s.Process(context.Background(), textItem("my card is 4111 1111 1111 1111"), perception.Expectation{})
	o := find(obs, perception.KindEntity, "card")
	if o == nil || o.Text != "**** **** **** 1111" {
		t.Fatalf("card observation %+v, want masked text", o)
	}
}

func TestNoPacks(t *testing.T) {
	s, err := New(perception.Env{})
	if err != nil {
		t.Fatal(err)
	}
	obs, err := s.Process(context.Background(), textItem("$20 please"), perception.Expectation{})
	if err != nil {
		t.Fatal(err)
	}
	if find(obs, perception.KindIntent, "") != nil || find(obs, perception.KindEntity, "amount") == nil {
		t.Errorf("observations %+v, want an amount and no intent", obs)
	}
}

func TestBadInput(t *testing.T) {
	s := newStage(t)
	if s.Accepts(media.Image) || !s.Accepts(media.Text) {
		t.Error("Accepts")
	}
	if _, err := s.Process(context.Background(), media.Item{Kind: media.Image}, perception.Expectation{}); !errors.Is(err, media.ErrUnsupported) {
		t.Errorf("image: err %v", err)
	}
	obs, err := s.Process(context.Background(), textItem("   "), perception.Expectation{})
	if err != nil || len(obs) != 0 {
		t.Errorf("blank: %v %v", obs, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Process(ctx, textItem("hi"), perception.Expectation{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v", err)
	}
}

func TestRegistered(t *testing.T) {
	stages, skipped, err := perception.Build(perception.Env{Packs: demo}, []string{ID})
	if err != nil || len(skipped) != 0 || len(stages) != 1 || stages[0].Name() != ID {
		t.Fatalf("Build: %v %v %v", stages, skipped, err)
	}
}

func TestConcurrent(t *testing.T) {
	s, _ := New(perception.Env{Packs: demo})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pack := []string{"bank", "appliances"}[i%2]
			obs, err := s.Process(context.Background(), textItem(fmt.Sprintf("my card was stolen %d", i)), perception.Expectation{Pack: pack})
			if err != nil || find(obs, perception.KindIntent, "") == nil {
				t.Errorf("process: %v %v", obs, err)
			}
		}()
	}
	wg.Wait()
}

func BenchmarkProcess(b *testing.B) {
	s, _ := New(perception.Env{Packs: demo})
	item := textItem("I want to deposit a check for $1,250.75 from yesterday")
	exp := perception.Expectation{Pack: "bank"}
	ctx := context.Background()
	s.Process(ctx, item, exp) // trained
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Process(ctx, item, exp); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzProcess(f *testing.F) {
	s, _ := New(perception.Env{Packs: demo})
	for _, seed := range []string{"deposit $1,250.75", "yes, twelve fifty seventy five", "E twenty one", "\xff\x00", "the second one"} {
		f.Add(seed, "amount")
		f.Add(seed, "choice")
	}
	f.Fuzz(func(t *testing.T, text, typ string) {
		exp := perception.Expectation{Pack: "bank", Type: typ, Choices: []string{"Checking", "Savings"}}
		obs, err := s.Process(context.Background(), textItem(text), exp)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range obs {
			if o.Kind == "" || o.Value == nil || o.Confidence < 0 || o.Confidence > 1 {
				t.Fatalf("bad observation %+v", o)
			}
		}
	})
}
