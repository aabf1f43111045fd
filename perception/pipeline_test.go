package perception_test

import (
	"context"
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
