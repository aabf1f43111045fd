package perception

import (
	"context"
	"fmt"
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

// Run processes every item with every stage that accepts it, concurrently. Transcripts are fed back
// as text items of the same modality, so text understanding runs on what was said.
func (p *Pipeline) Run(ctx context.Context, items []media.Item, expect Expectation) ([]Observation, []error) {
	var (
		mu   sync.Mutex
		obs  []Observation
		errs []error
		wg   sync.WaitGroup
	)
	var run func(item media.Item, depth int)
	run = func(item media.Item, depth int) {
		for _, s := range p.stages {
			if !s.Accepts(item.Kind) {
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
					}, depth+1)
				}
			}(s)
		}
	}
	for _, it := range items {
		run(it, 0)
	}
	wg.Wait()
	return obs, errs
}
