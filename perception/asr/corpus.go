package asr

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/parleyhq/parley/perception"
)

// basePhrases are customer-service sentences for each demo pack. They seed the domain language
// model so the recogniser works before any knowledge pack is loaded; the packs' own intent examples
// and vocabulary are added to them.
var basePhrases = map[string][]string{
	"bank": {
		"i want to deposit a check", "i'd like to deposit a check", "deposit a check", "can i deposit a check with my phone",
		"how do i deposit a check", "i need to deposit a check into my checking account", "mobile check deposit",
		"what is my balance", "what's my account balance", "check my balance", "how much money do i have",
		"i lost my card", "my card was stolen", "i lost my debit card", "please block my card", "freeze my card",
		"i need a new card", "report a lost card", "someone stole my wallet",
		"i want to transfer money", "transfer money to my savings account", "send money to a friend",
		"there is a charge i don't recognize", "i want to dispute a transaction", "why was i charged a fee",
		"my deposit has not cleared", "when will my check clear", "the check was rejected",
		"into my checking account", "into my savings account", "checking", "savings",
		"what are your hours", "i forgot my password", "reset my pin", "open a new account", "close my account",
	},
	"telecom": {
		"my internet is down", "the internet is not working", "my wifi keeps dropping", "no internet connection",
		"the internet is very slow", "my connection is slow", "the router is blinking red", "i restarted the modem",
		"the modem lights are off", "i have no signal", "my phone has no service", "i can't make calls",
		"i have a question about my bill", "my bill is too high", "why is my bill so high", "i was overcharged",
		"i want to pay my bill", "explain the charges on my bill", "there is an extra charge on my bill",
		"i want to change my plan", "upgrade my plan", "i want a cheaper plan", "switch to unlimited data",
		"downgrade my plan", "add a line to my plan", "cancel my service", "i'm moving to a new address",
		"the tv is not working", "my data is not working", "reset my voicemail",
	},
	"appliances": {
		"my washer won't drain", "the washing machine is not spinning", "my washer shows an error code",
		"the dishwasher is not draining", "my dishwasher won't start", "the dishwasher is leaking",
		"the dryer is not heating", "my refrigerator is not cooling", "the fridge is making a noise",
		"the oven won't heat up", "the display shows e twenty one", "it shows error e twenty one",
		"error code e four", "error code f twenty one", "the error is e fifteen", "the code is h e",
		"water is leaking from the bottom", "the door won't open", "the door won't lock",
		"it makes a loud noise during the spin cycle", "the drum won't turn", "the pump is making noise",
		"i need a replacement part", "order a new drain pump", "how do i clean the filter",
		"i checked the filter", "the filter is clean", "i already did that", "it is still not working",
		"i want to book a technician", "is it under warranty", "my washer is a front loader",
	},
}

// numberSentences are spoken numbers, amounts, digit strings and dates for the language model, so
// the open model hears "twelve fifty seventy five" as well as the grammar does.
func numberSentences() []string {
	r := rand.New(rand.NewPCG(1, 2))
	var out []string
	for i := 0; i < 60; i++ {
		var cents int
		switch i % 4 {
		case 0:
			cents = r.IntN(100) * 100
		case 1:
			cents = r.IntN(1000)*100 + r.IntN(100)
		case 2:
			cents = r.IntN(10000)*100 + r.IntN(100)
		default:
			cents = r.IntN(100000) * 100
		}
		out = append(out, amountPhrases(cents)...)
	}
	for i := 0; i < 20; i++ {
		n := 3 + r.IntN(8)
		ws := make([]string, n)
		for j := range ws {
			ws[j] = unitWords[r.IntN(10)]
		}
		out = append(out, strings.Join(ws, " "))
	}
	for _, m := range []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"} {
		out = append(out, m+" first", m+" the fifteenth", "the twenty first of "+m, "on "+m+" third")
	}
	for i := 0; i < 30; i++ {
		out = append(out, "e "+strings.Join(numberWords(fmt.Sprint(1+r.IntN(99))), " "))
	}
	out = append(out, "yesterday", "today", "last week", "last friday", "two days ago")
	// Numbers inside requests, so the model expects them there too.
	for i := 0; i < 40; i++ {
		amount := amountPhrases(r.IntN(5000)*100 + r.IntN(4)*25)[r.IntN(2)]
		code := strings.Join(numberWords(fmt.Sprint(1+r.IntN(30))), " ")
		letter := []string{"e", "f", "h", "c"}[r.IntN(4)]
		out = append(out,
			"i want to deposit a check for "+amount, "the check is for "+amount, "i was charged "+amount,
			"my washer shows error "+letter+" "+code, "the dishwasher shows "+letter+" "+code,
			"the display says "+letter+" "+code, "error code "+letter+" "+code,
			"my account number is "+digitString(r, 4+r.IntN(5)))
	}
	return out
}

func digitString(r *rand.Rand, n int) string {
	ws := make([]string, n)
	for j := range ws {
		ws[j] = unitWords[r.IntN(10)]
	}
	return strings.Join(ws, " ")
}

// corpus is the normalised text of the domain language model for a pack ("" for all packs).
func corpus(pack string, src perception.PackSource) []string {
	var raw []string
	packs := []string{pack}
	if pack == "" {
		packs = packs[:0]
		for p := range basePhrases {
			packs = append(packs, p)
		}
		if src != nil {
			packs = append(packs, src.PackNames()...)
		}
	}
	for _, p := range packs {
		raw = append(raw, basePhrases[p]...)
		if src != nil {
			for _, ex := range src.IntentExamples(p) {
				raw = append(raw, ex...)
			}
			for _, v := range src.Vocabulary(p) {
				raw = append(raw, v, "it's "+v, "my "+v, "the "+v)
			}
		}
	}
	raw = append(raw, yesNoPhrases...)
	raw = append(raw, anytimePhrases...)
	raw = append(raw, choiceOrdinals...)
	raw = append(raw, numberSentences()...)
	seen := map[string]bool{}
	var out []string
	for _, s := range raw {
		for _, v := range spokenVariants(s) {
			if v != "" && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.Strings(out)
	return out
}

// packPhrases returns the intent examples of a pack, only of the named intents when given.
func packPhrases(src perception.PackSource) func(pack string, intents []string) []string {
	return func(pack string, intents []string) []string {
		var out []string
		if pack == "" || src == nil {
			out = append(out, basePhrases[pack]...)
			if pack == "" {
				for _, p := range basePhrases {
					out = append(out, p...)
				}
			}
			return out
		}
		ex := src.IntentExamples(pack)
		if len(intents) == 0 {
			for _, v := range ex {
				out = append(out, v...)
			}
		}
		for _, in := range intents {
			out = append(out, ex[in]...)
		}
		return append(out, basePhrases[pack]...)
	}
}

// InCorpus reports whether text, normalised to spoken words, is one of the sentences of the
// domain language model of pack (all packs for ""). Evaluation sentences must not be: a model
// that has seen them flatters its own score.
func InCorpus(pack, text string, src perception.PackSource) bool {
	want := spoken(text, false)
	for _, s := range corpus(pack, src) {
		if s == want {
			return true
		}
	}
	return false
}
