package perception

import (
	"context"
	"errors"
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
	// Offload, when set, runs the stages it takes elsewhere (perception jobs on a queue): the
	// pipeline hands it, per stage, every item of the run that the stage would have read.
	Offload Offloader
}

// Offloader runs chosen stages outside the pipeline's process.
type Offloader interface {
	// Takes reports whether stage s reads item elsewhere.
	Takes(ctx context.Context, s Stage, item media.Item) bool
	// Run runs stage s on items and returns the observations, as the pipeline would have made
	// them (sources and versions set). Observations of kind KindStageError are turned back into
	// StageErrors of the run.
	Run(ctx context.Context, s Stage, items []media.Item, expect Expectation) ([]Observation, error)
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
// transcript's stage as its Origin. Stages that Offload takes run elsewhere, all their items
// together; their transcripts are fed back here the same way.
func (p *Pipeline) Run(ctx context.Context, items []media.Item, expect Expectation) ([]Observation, []error) {
	var (
		mu      sync.Mutex
		obs     []Observation
		errs    []error
		wg      sync.WaitGroup
		away    []Stage
		awayFor = map[Stage][]media.Item{}
	)
	var run func(item media.Item, origin string, depth int)
	// done records what stage s made of item (or of items, offloaded) and feeds transcripts back.
	done := func(s Stage, item media.Item, origin string, depth int, out []Observation, err error) {
		version := VersionOf(s)
		mu.Lock()
		if err != nil {
			errs = append(errs, &StageError{Stage: s.Name(), Part: item.Part, Err: err})
		}
		kept := out[:0]
		for i := range out {
			o := out[i]
			if o.Source.Stage == "" {
				o.Source.Stage = s.Name()
			}
			if o.Source.MessageID == "" {
				o.Source.MessageID = item.MessageID
				o.Source.Part = item.Part
			}
			if o.Source.Modality == "" {
				o.Source.Modality = item.Modality
			}
			if o.Source.Origin == "" {
				o.Source.Origin = origin
			}
			if o.StageVersion == "" {
				o.StageVersion = version
			}
			if o.Kind == KindStageError {
				errs = append(errs, &StageError{Stage: o.Source.Stage, Part: o.Source.Part, Err: errors.New(o.Text)})
				continue
			}
			kept = append(kept, o)
		}
		out = kept
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
				MessageID: o.Source.MessageID, Part: o.Source.Part, Kind: media.Text,
				Modality: o.Source.Modality, Text: text, Offset: o.Source.Start,
			}, o.Source.Stage, depth+1)
		}
	}
	run = func(item media.Item, origin string, depth int) {
		for _, s := range p.stages {
			if !s.Accepts(item.Kind) || p.routed(s, item, expect) {
				continue
			}
			if depth == 0 && p.Offload != nil && p.Offload.Takes(ctx, s, item) {
				if awayFor[s] == nil {
					away = append(away, s)
				}
				awayFor[s] = append(awayFor[s], item)
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
				done(s, item, origin, depth, out, err)
			}(s)
		}
	}
	for _, it := range items {
		run(it, "", 0)
	}
	for _, s := range away {
		its := awayFor[s]
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			out, err := p.Offload.Run(ctx, s, its, expect)
			if p.Observe != nil {
				p.Observe(s.Name(), time.Since(start), err)
			}
			done(s, its[0], "", 0, out, err)
		}()
	}
	wg.Wait()
	return obs, errs
}
