package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"strconv"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/imagequal"
	"github.com/parleyhq/parley/perception/ocr"
)

// StageID is the registered name of the check stage.
const StageID = "image.check"

func init() {
	perception.Register(StageID, func(env perception.Env) (perception.Stage, error) {
		pool, err := ocr.NewPool(0)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", perception.ErrUnavailable, err)
		}
		var store FingerprintStore
		if env.DataDir != "" {
			store = NewFileStore(filepath.Join(env.DataDir, "checks"))
		}
		return NewStage(pool, Options{Store: store}), nil
	})
}

// Stage reads photos of checks as a perception stage. Camera frames of a video are skipped: a
// check is read from a still photo.
type Stage struct {
	reader *Reader
	pool   *ocr.Pool
}

var (
	_ perception.Stage    = (*Stage)(nil)
	_ perception.Closer   = (*Stage)(nil)
	_ perception.Recorder = (*Stage)(nil)
)

// NewStage returns a check stage reading through pool.
func NewStage(pool *ocr.Pool, o Options) *Stage {
	return &Stage{reader: NewReader(pool, o), pool: pool}
}

// Name implements perception.Stage.
func (s *Stage) Name() string { return StageID }

// Accepts implements perception.Stage.
func (s *Stage) Accepts(k media.Kind) bool { return k == media.Image }

// Record implements perception.Recorder: a deposited check is remembered, so a second deposit of
// it fails the not_deposited_before verification.
func (s *Stage) Record(ctx context.Context, action string, o perception.Observation, ref string) error {
	rd, ok := o.Value.(*Reading)
	if !ok && o.Value != nil {
		// A reading made in another process (a perception job) arrives decoded from JSON.
		if raw, err := json.Marshal(o.Value); err == nil {
			rd = new(Reading)
			ok = json.Unmarshal(raw, rd) == nil
		}
	}
	if action != "deposit" || o.Kind != perception.KindCheck || !ok || s.reader.store == nil {
		return nil
	}
	return s.reader.store.Add(ctx, RecordOf(rd, time.Now(), ref))
}

// Close implements perception.Closer.
func (s *Stage) Close(ctx context.Context) error { return s.pool.Close(ctx) }

// Process implements perception.Stage. It emits a quality observation, then either a not_check
// observation or the fields (entity observations), the full reading (check) and crops (artifact).
func (s *Stage) Process(ctx context.Context, item media.Item, _ perception.Expectation) ([]perception.Observation, error) {
	if item.Kind != media.Image || item.Modality == media.ModVideo {
		return nil, nil
	}
	img, _, err := imagequal.Decode(item.Data, media.DefaultLimits().MaxPixels)
	if err != nil {
		return nil, err
	}
	rd, err := s.reader.Read(ctx, img)
	if err != nil && !errors.Is(err, ErrNotCheck) {
		return nil, err
	}
	return Observations(item, rd), nil
}

// Observations turns a reading into the observations of the stage.
func Observations(item media.Item, rd *Reading) []perception.Observation {
	src := func(b image.Rectangle) perception.Source {
		s := perception.Source{MessageID: item.MessageID, Part: item.Part, Modality: item.Modality, Stage: StageID}
		if s.Modality == "" {
			s.Modality = media.ModImage
		}
		if sb := rd.ToSource(b); !sb.Empty() {
			s.Region = &perception.Region{X: sb.Min.X, Y: sb.Min.Y, W: sb.Dx(), H: sb.Dy()}
		}
		return s
	}
	q := perception.Observation{Kind: perception.KindQuality, Value: rd.Quality, Confidence: 1, Source: src(image.Rectangle{})}
	if !rd.Quality.Readable && !rd.Confirmed() {
		q.Text = rd.Quality.Instruction
	}
	obs := []perception.Observation{q}
	if !rd.IsCheck {
		return append(obs, perception.Observation{Kind: perception.KindNotCheck, Text: NotCheckText,
			Confidence: 0.9, Source: src(image.Rectangle{})})
	}
	entity := func(slot string, v any, f Field) {
		obs = append(obs, perception.Observation{Kind: perception.KindEntity, Slot: slot, Value: v,
			Text: f.Text, Confidence: f.Confidence, Source: src(f.Box)})
	}
	if rd.Amount > 0 {
		f := rd.Legal
		if rd.LegalAmount == 0 {
			f = rd.Courtesy
		}
		f.Box = rd.Courtesy.Box.Union(rd.Legal.Box)
		f.Text = strconv.FormatFloat(rd.Amount, 'f', 2, 64)
		f.Confidence = amountConfidence(rd)
		entity("amount", rd.Amount, f)
	}
	for _, e := range []struct {
		slot string
		f    Field
	}{{"legal_amount", rd.Legal}, {"payee", rd.Payee}, {"date", rd.Date}, {"check_number", rd.CheckNumber},
		{"routing", rd.Routing}, {"account", rd.Account}, {"memo", rd.Memo}} {
		if e.f.Found() {
			entity(e.slot, e.f.Text, e.f)
		}
	}
	obs = append(obs, perception.Observation{Kind: perception.KindCheck, Value: rd, Confidence: amountConfidence(rd), Source: src(image.Rectangle{})})
	if b := CropPNG(rd.doc, rd.Courtesy.Box.Union(rd.Legal.Box)); b != nil {
		obs = append(obs, perception.Observation{Kind: perception.KindArtifact, Slot: "amount", Confidence: 1,
			Source:     src(rd.Courtesy.Box.Union(rd.Legal.Box)),
			Attachment: &perception.Attachment{Name: "amount.png", ContentType: "image/png", Data: b}})
	}
	for _, v := range rd.Verification {
		if v.Evidence == nil {
			continue
		}
		obs = append(obs, perception.Observation{Kind: perception.KindArtifact, Slot: v.Name, Text: v.Detail,
			Confidence: 1, Source: src(v.Box),
			Attachment: &perception.Attachment{Name: v.Name + ".png", ContentType: "image/png", Data: v.Evidence}})
	}
	return obs
}

// amountConfidence is high when figures and words agree, lower when only one was read.
func amountConfidence(rd *Reading) float64 {
	switch {
	case rd.CourtesyAmount > 0 && rd.LegalAmount > 0 && rd.CourtesyAmount == rd.LegalAmount:
		return max(0.9, (rd.Courtesy.Confidence+rd.Legal.Confidence)/2)
	case rd.LegalAmount > 0:
		return 0.6 * rd.Legal.Confidence
	default:
		return 0.5 * rd.Courtesy.Confidence
	}
}
