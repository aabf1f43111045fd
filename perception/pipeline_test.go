package perception_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// stub emits one observation per item it accepts, or a transcript for audio.
type stub struct {
	name string
	kind media.Kind
}

func (s stub) Name() string              { return s.name }
func (s stub) Accepts(k media.Kind) bool { return k == s.kind }
func (s stub) Process(_ context.Context, it media.Item, _ perception.Expectation) ([]perception.Observation, error) {
	if it.Kind == media.Audio {
		return []perception.Observation{{Kind: perception.KindTranscript, Value: "yes", Confidence: 0.9}}, nil
	}
	return []perception.Observation{{Kind: "seen", Value: it.Text}}, nil
}

func TestPipelineRoutesImagesToTheNamedReaders(t *testing.T) {
	p := perception.NewPipeline(stub{"image.check", media.Image}, stub{"image.face", media.Image}, stub{"audio.asr", media.Audio}, stub{"text.nlu", media.Text})
	p.Readers = map[string]bool{"image.check": true}
	photo := media.Item{MessageID: "m", Part: 1, Kind: media.Image, Modality: media.ModImage}
	for _, c := range []struct {
		images []string
		want   []string
	}{
		{nil, []string{"image.face"}},
		{[]string{"image.check"}, []string{"image.check", "image.face"}},
		{[]string{"image.display"}, []string{"image.face"}},
	} {
		obs, errs := p.Run(context.Background(), []media.Item{photo}, perception.Expectation{Images: c.images})
		var got []string
		for _, o := range obs {
			got = append(got, o.Source.Stage)
		}
		slices.Sort(got)
		if len(errs) > 0 || !slices.Equal(got, c.want) {
			t.Errorf("images %v: stages %v, want %v (%v)", c.images, got, c.want, errs)
		}
	}
	// Without Readers every stage sees every image, as before.
	p.Readers = nil
	if obs, _ := p.Run(context.Background(), []media.Item{photo}, perception.Expectation{}); len(obs) != 2 {
		t.Errorf("no routing: %d observations", len(obs))
	}
}

func TestPipelineNamesTheTranscriptStageAsOrigin(t *testing.T) {
	p := perception.NewPipeline(stub{"audio.asr", media.Audio}, stub{"text.nlu", media.Text})
	obs, _ := p.Run(context.Background(), []media.Item{
		{MessageID: "m", Part: 1, Kind: media.Audio, Modality: media.ModVoice},
		{MessageID: "m", Kind: media.Text, Modality: media.ModText, Text: "typed"},
	}, perception.Expectation{})
	origins := map[string]string{}
	for _, o := range obs {
		if o.Kind == "seen" {
			origins[o.Value.(string)] = o.Source.Origin + "/" + string(o.Source.Modality)
		}
	}
	if origins["yes"] != "audio.asr/voice" || origins["typed"] != "/text" {
		t.Fatalf("origins %v", origins)
	}
}

// versioned is a stub that declares its version.
type versioned struct{ stub }

func (versioned) Version() string { return "3" }

// away runs the stages it takes by calling them itself, counting the calls and items.
type away struct {
	take  string
	calls int
	items int
	fail  bool
}

func (a *away) Takes(_ context.Context, s perception.Stage, _ media.Item) bool {
	return s.Name() == a.take
}
func (a *away) Run(ctx context.Context, s perception.Stage, items []media.Item, e perception.Expectation) ([]perception.Observation, error) {
	a.calls++
	a.items += len(items)
	if a.fail {
		return []perception.Observation{{Kind: perception.KindStageError, Text: "cannot decode", Source: perception.Source{MessageID: "m", Part: 2, Stage: s.Name()}}}, nil
	}
	var out []perception.Observation
	for _, it := range items {
		o, err := s.Process(ctx, it, e)
		if err != nil {
			return nil, err
		}
		out = append(out, o...)
	}
	return out, nil
}

func TestPipelineRecordsStageVersions(t *testing.T) {
	p := perception.NewPipeline(versioned{stub{"image.check", media.Image}}, stub{"text.nlu", media.Text})
	obs, _ := p.Run(context.Background(), []media.Item{
		{MessageID: "m", Part: 1, Kind: media.Image, Modality: media.ModImage},
		{MessageID: "m", Kind: media.Text, Modality: media.ModText, Text: "typed"},
	}, perception.Expectation{})
	got := map[string]string{}
	for _, o := range obs {
		got[o.Source.Stage] = o.StageVersion
	}
	if got["image.check"] != "3" || got["text.nlu"] != "1" {
		t.Fatalf("versions %v, want image.check 3 and text.nlu 1 (the default)", got)
	}
}

func TestPipelineOffloadsTakenStages(t *testing.T) {
	off := &away{take: "audio.asr"}
	p := perception.NewPipeline(stub{"audio.asr", media.Audio}, stub{"text.nlu", media.Text})
	p.Offload = off
	obs, errs := p.Run(context.Background(), []media.Item{
		{MessageID: "m", Part: 1, Kind: media.Audio, Modality: media.ModVoice},
		{MessageID: "m", Part: 2, Kind: media.Audio, Modality: media.ModVoice},
		{MessageID: "m", Kind: media.Text, Modality: media.ModText, Text: "typed"},
	}, perception.Expectation{})
	if len(errs) > 0 || off.calls != 1 || off.items != 2 {
		t.Fatalf("offloaded %d calls with %d items (%v), want one call with both notes", off.calls, off.items, errs)
	}
	// The offloaded transcripts are read by text understanding here, as if heard here.
	var fromSpeech int
	for _, o := range obs {
		if o.Kind == "seen" && o.Source.Origin == "audio.asr" {
			fromSpeech++
		}
	}
	if fromSpeech != 2 {
		t.Errorf("%d text readings of offloaded transcripts, want 2: %+v", fromSpeech, obs)
	}

	// A stage error made elsewhere comes back as a StageError of the run.
	off = &away{take: "audio.asr", fail: true}
	p.Offload = off
	obs, errs = p.Run(context.Background(), []media.Item{{MessageID: "m", Part: 2, Kind: media.Audio, Modality: media.ModVoice}}, perception.Expectation{})
	var se *perception.StageError
	if len(obs) != 0 || len(errs) != 1 || !errors.As(errs[0], &se) || se.Part != 2 || se.Stage != "audio.asr" {
		t.Fatalf("got obs %+v errs %v, want one StageError of audio.asr on part 2", obs, errs)
	}
}
