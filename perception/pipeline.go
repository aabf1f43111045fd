package perception

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/media"
)

// Pipeline runs stages concurrently on the parts of a message.
type Pipeline struct {
	stages []Stage
	// Observe, when set, is told how long each stage took; the server records it as a metric.
	Observe func(stage string, d time.Duration, err error)
	// Readers names the stages that read a particular kind of document from an image (a check):
	// such a stage sees an image only when the expectation routes images to it (Expectation.Images).
	// Stages not named here (faces) see every image they accept.
	Readers map[string]bool
}

// routed reports whether stage s is skipped for item under expect: a reader the conversation
// does not route this image to.
func (p *Pipeline) routed(s Stage, item media.Item, expect Expectation) bool {
	return item.Kind == media.Image && p.Readers[s.Name()] && !slices.Contains(expect.Images, s.Name())
}

// NewPipeline returns a pipeline over the given stages.
func NewPipeline(stages ...Stage) *Pipeline { return &Pipeline{stages: stages} }

// Stages lists the stages in the pipeline.
func (p *Pipeline) Stages() []Stage { return p.stages }

// StageError is a failure of one stage on one item; the other stages' observations still count.
type StageError struct {
	Stage string
	Part  int
	Err   error
}

func (e *StageError) Error() string { return fmt.Sprintf("%s on part %d: %v", e.Stage, e.Part, e.Err) }
func (e *StageError) Unwrap() error { return e.Err }

// Run processes every item with every stage that accepts it, concurrently, except readers the
// expectation does not route an image to. Transcripts are fed back as text items of the same
// modality, so text understanding runs on what was said; what it reads from them names the
// transcript's stage as its Origin.
func (p *Pipeline) Run(ctx context.Context, items []media.Item, expect Expectation) ([]Observation, []error) {
	var (
		mu   sync.Mutex
		obs  []Observation
		errs []error
		wg   sync.WaitGroup
	)
	var run func(item media.Item, origin string, depth int)
	run = func(item media.Item, origin string, depth int) {
		for _, s := range p.stages {
			if !s.Accepts(item.Kind) || p.routed(s, item, expect) {
				continue
			}
			wg.Add(1)
			go func(s Stage) {
				defer wg.Done()
				start := time.Now()
				out, err := s.Process(ctx, item, expect)
				if p.Observe != nil {
					p.Observe(s.Name(), time.Since(start), err)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, &StageError{Stage: s.Name(), Part: item.Part, Err: err})
				}
				for i := range out {
					if out[i].Source.Stage == "" {
						out[i].Source.Stage = s.Name()
					}
					if out[i].Source.MessageID == "" {
						out[i].Source.MessageID = item.MessageID
						out[i].Source.Part = item.Part
					}
					if out[i].Source.Modality == "" {
						out[i].Source.Modality = item.Modality
					}
					if out[i].Source.Origin == "" {
						out[i].Source.Origin = origin
					}
				}
				obs = append(obs, out...)
				mu.Unlock()
				if depth > 0 {
					return
				}
				for _, o := range out {
					text, ok := o.Value.(string)
					if o.Kind != KindTranscript || !ok || strings.TrimSpace(text) == "" {
						continue
					}
					run(media.Item{
						MessageID: item.MessageID, Part: item.Part, Kind: media.Text,
						Modality: item.Modality, Text: text, Offset: o.Source.Start,
					}, o.Source.Stage, depth+1)
				}
			}(s)
		}
	}
	for _, it := range items {
		run(it, "", 0)
	}
	wg.Wait()
	return obs, errs
}
