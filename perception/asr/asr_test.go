package asr

import (
	"context"
	"errors"
	"github.com/parleyhq/parley/internal/testmedia"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

var (
	recOnce   sync.Once
	recShared *Recognizer
	recErr    error
)

// recognizer returns a shared recogniser, skipping the test when the model is not installed.
func recognizer(t testing.TB) *Recognizer {
	t.Helper()
	recOnce.Do(func() { recShared, recErr = New(Config{Decoders: 2}) })
	if recErr != nil {
		t.Skipf("pocketsphinx model not available: %v", recErr)
	}
	return recShared
}

// speak synthesises text with espeak-ng and decodes it to 16 kHz PCM.
func speak(t testing.TB, text string, args ...string) media.PCM {
	return testmedia.Speech(t, text, args...)
}

// speakFlite synthesises text with one of flite's voices (closer to a human voice than
// espeak-ng's formant synthesis) and decodes it to 16 kHz PCM.
func speakFlite(t testing.TB, text, voice string) media.PCM {
	t.Helper()
	if _, err := exec.LookPath("flite"); err != nil {
		t.Fatal("flite is not installed (apt-get install flite); it generates the test speech")
	}
	path := filepath.Join(t.TempDir(), "speech.wav")
	if out, err := exec.Command("flite", "-voice", voice, "-t", text, "-o", path).CombinedOutput(); err != nil {
		t.Fatalf("flite: %v %s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pcm, err := media.DecodeAudio(context.Background(), data, media.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

func TestRecognizeUnderExpectation(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes speech")
	}
	rec := recognizer(t)
	cases := []struct {
		name   string
		say    string
		expect perception.Expectation
		want   string
	}{
		{"yes", "yes that's right", perception.Expectation{Type: "yesno"}, "yes that's right"},
		{"no", "no", perception.Expectation{Type: "yesno"}, "no"},
		{"amount words", "twelve hundred fifty dollars and seventy five cents", perception.Expectation{Type: "amount", Pack: "bank"}, "twelve hundred fifty dollars and seventy five cents"},
		{"amount pairs", "twelve fifty seventy five", perception.Expectation{Type: "amount", Pack: "bank"}, "twelve fifty seventy five"},
		{"amount thousand", "one thousand two hundred dollars", perception.Expectation{Type: "amount", Pack: "bank"}, "one thousand two hundred dollars"},
		{"digits", "four five one two", perception.Expectation{Type: "digits", Pack: "bank"}, "four five one two"},
		{"deposit intent", "I want to deposit a check", perception.Expectation{Pack: "bank"}, "i want to deposit a check"},
		// Open speech is spoken by flite: the recogniser is tuned on real voices, and espeak-ng's
		// formant voice reads "my internet is down" as "and it is now we" with the general model.
		{"error code", "flite:the display shows E21", perception.Expectation{Pack: "appliances", Vocabulary: []string{"E21"}}, "the display shows e twenty one"},
		{"internet", "flite:my internet is down", perception.Expectation{Pack: "telecom"}, "my internet is down"},
		{"outside the digit grammar", "flite:I don't know the number", perception.Expectation{Type: "digits", Pack: "bank"}, "i don't know the number"},
		{"open outside the packs", "flite:the weather will be sunny tomorrow", perception.Expectation{Pack: "bank"}, "the weather will be sunny tomorrow"},
		{"outside the yes/no grammar", "I want to deposit a check", perception.Expectation{Type: "yesno", Pack: "bank"}, "i want to deposit a check"},
		{"outside the amount grammar", "the dishwasher is leaking", perception.Expectation{Type: "amount", Pack: "appliances"}, "the dishwasher is leaking"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var pcm media.PCM
			if text, ok := strings.CutPrefix(tc.say, "flite:"); ok {
				pcm = speakFlite(t, text, "slt")
				tc.say = text
			} else {
				pcm = speak(t, tc.say)
			}
			start := time.Now()
			res, err := rec.Recognize(context.Background(), pcm, tc.expect)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%q -> %q (%s, conf %.2f, low %v, %s for %s) alts %v", tc.say, res.Text, res.Search, res.Confidence, res.Low, time.Since(start).Round(time.Millisecond), pcm.Duration().Round(10*time.Millisecond), res.Alts)
			// One slip in a long utterance ("cent" for "cents") is tolerated; short ones must be exact.
			if errs, n := WER(tc.want, res.Text); errs > n/6 {
				t.Errorf("got %q, want %q", res.Text, tc.want)
			}
		})
	}
}

func TestStageEmitsTranscript(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes speech")
	}
	rec := recognizer(t)
	st := NewStageWith(rec)
	pcm := speak(t, "yes")
	obs, err := st.Process(context.Background(), media.Item{Kind: media.Audio, Modality: media.ModVoice, Data: media.EncodeWAV(pcm)}, perception.Expectation{Type: "yesno"})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 || obs[0].Kind != perception.KindTranscript || obs[0].Value != "yes" || obs[0].Source.End <= obs[0].Source.Start {
		t.Fatalf("observations %+v", obs)
	}
	silent := media.EncodeWAV(media.PCM{Rate: 16000, Samples: make([]int16, 16000)})
	junk := []byte("RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
	for name, data := range map[string][]byte{"silent": silent, "junk": junk} {
		if _, err := st.Process(context.Background(), media.Item{Kind: media.Audio, Data: data}, perception.Expectation{}); err == nil {
			t.Errorf("%s audio: no error", name)
		}
	}
}

func TestCloudTranscription(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audio/transcriptions" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f, _, err := r.FormFile("file")
		if err != nil || r.FormValue("model") != "whisper-1" || r.FormValue("response_format") != "json" {
			http.Error(w, "missing fields", http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(f)
		if !media.IsWAV(data) {
			http.Error(w, "not wav", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"text":"I'd like to know why my statement shows two fees"}`)
	}))
	defer srv.Close()
	c := &Cloud{URL: srv.URL, Model: "whisper-1", APIKey: "k"}
	text, err := c.Transcribe(context.Background(), media.EncodeWAV(media.PCM{Rate: 16000, Samples: make([]int16, 1600)}))
	if err != nil || text != "I'd like to know why my statement shows two fees" {
		t.Fatalf("got %q, %v", text, err)
	}
	bad := &Cloud{URL: srv.URL, Model: "whisper-1", APIKey: "wrong"}
	if _, err := bad.Transcribe(context.Background(), nil); !errors.Is(err, ErrCloud) {
		t.Fatalf("want ErrCloud, got %v", err)
	}
}

func TestGrammarSpokenForms(t *testing.T) {
	cases := []struct{ in, want string }{
		{"E21", "e twenty one"},
		{"$12.50", "dollars twelve dollars and fifty cents"},
		{"WF45", "w f forty five"},
		{"It's 1250", "it's one thousand two hundred fifty"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := Spoken(tc.in); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func BenchmarkRecognizeAmount(b *testing.B) {
	rec := recognizer(b)
	pcm := speak(b, "twelve hundred fifty dollars and seventy five cents")
	e := perception.Expectation{Type: "amount", Pack: "bank"}
	if _, err := rec.Recognize(context.Background(), pcm, e); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := rec.Recognize(context.Background(), pcm, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/pcm.Duration().Seconds(), "rtf")
}

func TestRecognizeFallsBackToCloud(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes speech")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"text":"Could you explain the overdraft fee on my statement?"}`)
	}))
	defer srv.Close()
	rec, err := New(Config{Decoders: 1, Cloud: &Cloud{URL: srv.URL}})
	if err != nil {
		t.Skipf("pocketsphinx model not available: %v", err)
	}
	defer rec.Close(context.Background())
	pcm := speak(t, "could you explain the overdraft fee on my statement")
	res, err := rec.Recognize(context.Background(), pcm, perception.Expectation{Pack: "bank"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Search != "cloud" || res.Text != "Could you explain the overdraft fee on my statement?" || len(res.Alts) == 0 {
		t.Fatalf("got %+v", res)
	}
	// A clear yes under a yes/no expectation stays local.
	res, err = rec.Recognize(context.Background(), speak(t, "yes"), perception.Expectation{Type: "yesno"})
	if err != nil || res.Search != "grammar" || res.Text != "yes" {
		t.Fatalf("got %+v, %v", res, err)
	}
}

func TestCompleteAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes speech")
	}
	rec := recognizer(t)
	cases := []struct {
		say    string
		expect perception.Expectation
		want   bool
	}{
		{"yes that's right", perception.Expectation{Type: "yesno"}, true},
		{"no", perception.Expectation{Type: "yesno"}, true},
		{"one thousand two hundred dollars", perception.Expectation{Type: "amount", Pack: "bank"}, true},
		{"twelve fifty", perception.Expectation{Type: "amount", Pack: "bank"}, false},
		{"four five one two", perception.Expectation{Type: "digits", Pack: "bank"}, false},
		{"I want to deposit a check", perception.Expectation{Pack: "bank"}, false},
		{"I want to deposit a check", perception.Expectation{Type: "yesno", Pack: "bank"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.say+" "+tc.expect.Type, func(t *testing.T) {
			var pcm media.PCM
			if text, ok := strings.CutPrefix(tc.say, "flite:"); ok {
				pcm = speakFlite(t, text, "slt")
				tc.say = text
			} else {
				pcm = speak(t, tc.say)
			}
			if got := rec.Complete(context.Background(), pcm, tc.expect); got != tc.want {
				t.Errorf("Complete(%q, %s) = %v, want %v", tc.say, tc.expect.Type, got, tc.want)
			}
			kept := func() int {
				rec.mu.Lock()
				defer rec.mu.Unlock()
				return len(rec.recent)
			}
			if n := kept(); n != 1 && tc.expect.Type != "" && tc.expect.Type != "digits" {
				t.Errorf("%d readings kept after Complete, want 1", n)
			}
			// The stage's decode of the same speech as a WAV item takes the kept readings.
			item := media.Item{Kind: media.Audio, Modality: media.ModVoice, Data: media.EncodeWAV(pcm), ContentType: "audio/wav"}
			if obs, err := NewStageWith(rec).Process(context.Background(), item, tc.expect); err != nil || len(obs) != 1 {
				t.Fatalf("process: %v %v", obs, err)
			}
			if n := kept(); n != 0 {
				t.Errorf("%d readings left after the stage took them", n)
			}
		})
	}
}

func BenchmarkRecognizeOpen(b *testing.B) {
	rec := recognizer(b)
	pcm := speakFlite(b, "I would like to put a check into my savings account", "slt")
	e := perception.Expectation{Pack: "bank"}
	if _, err := rec.Recognize(context.Background(), pcm, e); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := rec.Recognize(context.Background(), pcm, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/pcm.Duration().Seconds(), "rtf")
}
