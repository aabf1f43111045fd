package nlu

import (
	"os"
	"strings"
	"testing"
)

func loadFixture(t testing.TB) []Example {
	t.Helper()
	f, err := os.Open("testdata/intents.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := ReadExamplesCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func trainFixture(t testing.TB) *Classifier {
	t.Helper()
	c, err := Train(loadFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassify(t *testing.T) {
	c := trainFixture(t)
	cases := []struct {
		name, text, want string
	}{
		{"balance", "How much money is in my account?", "check_balance"},
		{"lost card", "I think my card got stolen", "lost_card"},
		{"deposit", "I'd like to deposit a check please", "deposit_check"},
		{"dispute", "there is a charge on my statement I didn't make", "dispute_charge"},
		{"internet", "my wifi is not working again", "internet_down"},
		{"plan", "can I switch to a cheaper plan?", "change_plan"},
		{"washer", "the washing machine won't drain", "washer_fault"},
		{"human", "let me talk to a real person", "talk_to_human"},
		{"typo", "my intrenet is down", "internet_down"},
		{"oos weather", "what's the weather like in paris", OOS},
		{"oos joke", "tell me a funny joke", OOS},
		{"unknown words", "zzzz qqqq", OOS},
		{"empty", "", OOS},
		{"punctuation", "?!?!", OOS},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Classify(tc.text)
			if r.Label != tc.want {
				t.Errorf("Classify(%q) = %s (%.2f), want %s; top %v", tc.text, r.Label, r.Confidence, tc.want, r.Top)
			}
			if r.Confidence < 0 || r.Confidence > 1 {
				t.Errorf("confidence %v out of [0,1]", r.Confidence)
			}
			if len(r.Top) > 3 {
				t.Errorf("top has %d labels", len(r.Top))
			}
			for i := 1; i < len(r.Top); i++ {
				if r.Top[i].Score > r.Top[i-1].Score {
					t.Errorf("top not sorted: %v", r.Top)
				}
			}
		})
	}
}

func TestClassifyTopLabels(t *testing.T) {
	c := trainFixture(t)
	r := c.Classify("I lost my card and want to know my balance")
	var labels []string
	for _, s := range r.Top {
		labels = append(labels, s.Label)
	}
	got := strings.Join(labels, ",")
	if !strings.Contains(got, "lost_card") || !strings.Contains(got, "check_balance") {
		t.Errorf("top labels %s, want lost_card and check_balance among them", got)
	}
	for _, s := range r.Top {
		if s.Label == OOS {
			t.Errorf("top holds %s", OOS)
		}
	}
}

func TestTrainErrors(t *testing.T) {
	if _, err := Train(nil); err != ErrNoExamples {
		t.Errorf("Train(nil) error = %v, want ErrNoExamples", err)
	}
	if _, err := Train([]Example{{Text: "  ", Label: "a"}, {Text: "x", Label: ""}}); err != ErrNoExamples {
		t.Errorf("Train(blank) error = %v, want ErrNoExamples", err)
	}
	c, err := Train([]Example{{Text: "hello there", Label: "greet"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Classify("hello"); r.Label != "greet" {
		t.Errorf("single-label classifier said %s", r.Label)
	}
}

func TestCrossValidate(t *testing.T) {
	m, err := CrossValidate(loadFixture(t), 4, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 102 || !m.HasOOS {
		t.Fatalf("metrics %+v", m)
	}
	// A small fixture of hand-written sentences: held-out examples share few words with the
	// training ones, so the floor is modest.
	if m.InScopeAccuracy < 0.6 {
		t.Errorf("in-scope accuracy %.2f, want >= 0.6", m.InScopeAccuracy)
	}
	if _, err := CrossValidate(loadFixture(t), 1, Options{}); err == nil {
		t.Error("1 fold accepted")
	}
}

func TestScore(t *testing.T) {
	test := []Example{{"a", "x"}, {"b", "x"}, {"c", "y"}, {"d", OOS}, {"e", OOS}}
	m := Score(test, []string{"x", "y", "y", OOS, "x"})
	if m.Accuracy != 0.6 || m.InScopeAccuracy != 2.0/3 || m.OOSRecall != 0.5 || !m.HasOOS {
		t.Errorf("Score = %+v", m)
	}
	// F1: x = 2*1/(2+1+1)=0.5, y = 2*1/(2+1+0)=0.667, oos = 2*1/(2+0+1)=0.667
	if want := (0.5 + 2.0/3 + 2.0/3) / 3; m.MacroF1 < want-1e-9 || m.MacroF1 > want+1e-9 {
		t.Errorf("macro-F1 %v, want %v", m.MacroF1, want)
	}
}

func TestReadExamplesCSV(t *testing.T) {
	cases := []struct {
		name, in string
		n        int
		ok       bool
	}{
		{"intent", "text,intent\nhi,greet\nbye,leave\n", 2, true},
		{"category first", "category,text\ngreet,hi\n", 1, true},
		{"bom and quotes", "\ufefftext,category\n\"hi, you\",greet\n", 1, true},
		{"no label column", "text,foo\nhi,greet\n", 0, false},
		{"empty", "", 0, false},
		{"header only", "text,intent\n", 0, false},
		{"short row", "text,intent\nhi\n", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := ReadExamplesCSV(strings.NewReader(tc.in))
			if (err == nil) != tc.ok || len(ex) != tc.n {
				t.Errorf("got %d examples, err %v", len(ex), err)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"Can't  STOP!!": "cant stop",
		"  ":            "",
		"É-mail 123":    "é mail 123",
		"it's":          "its",
		"end'":          "end",
	}
	for in, want := range cases {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzClassify(f *testing.F) {
	c := trainFixture(f)
	for _, s := range []string{"", "my card", "\xff\xfe", "日本語", strings.Repeat("a ", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := c.Classify(s)
		if r.Label == "" || r.Confidence < 0 || r.Confidence > 1 || r.Confidence != r.Confidence {
			t.Fatalf("Classify(%q) = %+v", s, r)
		}
	})
}

func FuzzReadExamplesCSV(f *testing.F) {
	f.Add("text,intent\nhi,greet\n")
	f.Add("text,category\n\"a\"\"b\",c\n")
	f.Fuzz(func(t *testing.T, s string) {
		ex, err := ReadExamplesCSV(strings.NewReader(s))
		if err == nil && len(ex) == 0 {
			t.Fatal("no error and no examples")
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	c := trainFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		c.Classify("I think someone used my card for a purchase I didn't make")
	}
}

func BenchmarkTrain(b *testing.B) {
	ex := loadFixture(b)
	for b.Loop() {
		if _, err := Train(ex); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainBanking77 and BenchmarkClassifyBanking77 measure on the banking77 training split
// when it is present (set PARLEY_BANKING77 to its train.csv).
func BenchmarkTrainBanking77(b *testing.B) {
	ex := loadEnvCSV(b, "PARLEY_BANKING77")
	for b.Loop() {
		if _, err := Train(ex); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClassifyBanking77(b *testing.B) {
	ex := loadEnvCSV(b, "PARLEY_BANKING77")
	c, err := Train(ex)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		c.Classify(ex[i%len(ex)].Text)
		i++
	}
}

func loadEnvCSV(b *testing.B, env string) []Example {
	path := os.Getenv(env)
	if path == "" {
		b.Skipf("set %s to a labelled CSV to run", env)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ex, err := ReadExamplesCSV(f)
	if err != nil {
		b.Fatal(err)
	}
	return ex
}
