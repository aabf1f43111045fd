package storetest

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/store"
)

// Traffic is one generated conversation, with what it holds, so that a test can compute the
// figures a store must aggregate from it independently of the store.
type Traffic struct {
	ID      string
	Pack    string
	Created time.Time
	// Mask is the modalities the customer used (store.ModText...).
	Mask int
	// CSAT is the score, 0 for none.
	CSAT int
	// Resolved is the time to resolution, 0 for an unresolved conversation.
	Resolved time.Duration
	Handoff  bool
	// Texts are the customer's typed messages.
	Texts []string
}

var trafficPhrases = map[string][]string{
	"bank":       {"I want to deposit a check", "my card was declined", "what is my balance", "dispute a charge of $42.10"},
	"telecom":    {"my router keeps dropping", "the internet is slow tonight", "upgrade my plan", "no signal at home"},
	"appliances": {"the washer shows an error", "my dryer will not heat", "order a new filter", "the dishwasher leaks"},
}

// GenerateTraffic makes n conversations created in [from, from+span), the same for the same seed.
// Customers who add a photo, a voice note or a video rate higher and are served faster on
// average, as the claim under test says, with enough spread that small samples stay noisy.
func GenerateTraffic(n int, seed int64, from time.Time, span time.Duration) []Traffic {
	rng := rand.New(rand.NewSource(seed))
	packs := []string{"bank", "telecom", "appliances"}
	out := make([]Traffic, n)
	for i := range out {
		t := Traffic{
			ID:      fmt.Sprintf("gen%06d", i),
			Pack:    packs[rng.Intn(len(packs))],
			Created: from.Add(time.Duration(rng.Int63n(int64(span)))).Truncate(time.Millisecond),
		}
		switch r := rng.Float64(); {
		case r < 0.40:
			t.Mask = store.ModText
		case r < 0.50:
			t.Mask = store.ModAudio
		case r < 0.80:
			t.Mask = store.ModText | store.ModImage
		case r < 0.92:
			t.Mask = store.ModText | store.ModVideo
		case r < 0.97:
			t.Mask = store.ModAudio | store.ModImage
		}
		multi := store.Multimodal(t.Mask)
		if t.Mask&store.ModText != 0 {
			ph := trafficPhrases[t.Pack]
			t.Texts = append(t.Texts, ph[rng.Intn(len(ph))])
		}
		if rng.Float64() < 0.7 && t.Mask != 0 {
			base := 3.2
			if multi {
				base = 4.0
			}
			t.CSAT = min(5, max(1, int(base+rng.NormFloat64()*1.1+0.5)))
		}
		switch r := rng.Float64(); {
		case r < 0.12:
			t.Handoff = true
		case r < 0.85 && t.Mask != 0:
			mean := 20 * time.Minute
			if multi {
				mean = 9 * time.Minute
			}
			t.Resolved = time.Duration(float64(mean)*rng.ExpFloat64()).Truncate(time.Second) + 30*time.Second
		}
		out[i] = t
	}
	return out
}

// StoreTraffic writes ts through the ordinary Store calls with workers concurrent writers (so an
// embedded store's group commit batches them).
func StoreTraffic(ctx context.Context, s store.Store, ts []Traffic, workers int) error {
	jobs := make(chan Traffic)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				if err := storeOne(ctx, s, t); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for _, t := range ts {
		select {
		case jobs <- t:
		case err = <-errs:
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

func storeOne(ctx context.Context, s store.Store, t Traffic) error {
	c := &store.Conversation{ID: t.ID, Pack: t.Pack, Status: store.StatusOpen, CreatedAt: t.Created, UpdatedAt: t.Created}
	if t.Resolved > 0 {
		r := t.Created.Add(t.Resolved)
		c.ResolvedAt, c.Status, c.UpdatedAt = &r, store.StatusResolved, r
	}
	if t.Handoff {
		c.Status = store.StatusHandoff
		c.Handoff = &store.Handoff{Reason: "asked for a person", Summary: "generated", At: t.Created.Add(2 * time.Minute)}
	}
	if t.CSAT > 0 {
		c.CSAT = &store.CSAT{Score: t.CSAT, At: t.Created.Add(t.Resolved + time.Minute)}
	}
	if err := s.CreateConversation(ctx, c); err != nil {
		return err
	}
	at := t.Created
	add := func(text string, kind string) error {
		m := &store.Message{ConversationID: t.ID, Role: store.RoleCustomer, Text: text, CreatedAt: at}
		if kind != "" {
			m.Parts = []store.BlobRef{{Kind: kind, Hash: fmt.Sprintf("%064x", len(t.ID)), ContentType: kind + "/x-generated", Size: 1000}}
		}
		at = at.Add(20 * time.Second)
		_, err := s.AddMessage(ctx, m)
		return err
	}
	for _, text := range t.Texts {
		if err := add(text, ""); err != nil {
			return err
		}
	}
	for bit, kind := range []string{"", "image", "audio", "video"} {
		if kind != "" && t.Mask&(1<<bit) != 0 {
			if err := add("", kind); err != nil {
				return err
			}
		}
	}
	return nil
}

// BenchTrafficEnd is the end of the generated benchmark traffic: BenchTrafficSpan before it.
var BenchTrafficEnd = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)

// BenchTrafficSpan is the span of the generated benchmark traffic.
const BenchTrafficSpan = 30 * 24 * time.Hour

// BenchInsights measures the queries the dashboard and explorer make over a store that holds
// GenerateTraffic(n, 1, BenchTrafficEnd-BenchTrafficSpan, BenchTrafficSpan): one sub-benchmark
// per query, so the caller's setup runs once.
func BenchInsights(b *testing.B, in store.Insights) {
	ctx := context.Background()
	end := BenchTrafficEnd
	for _, q := range []struct {
		name string
		q    store.StatsQuery
	}{
		{"stats/hour-1d", store.StatsQuery{From: end.Add(-24 * time.Hour), To: end, Bucket: time.Hour}},
		{"stats/hour-7d", store.StatsQuery{From: end.Add(-7 * 24 * time.Hour), To: end, Bucket: time.Hour}},
		{"stats/day-30d", store.StatsQuery{From: end.Add(-BenchTrafficSpan), To: end, Bucket: 24 * time.Hour}},
		{"stats/hour-all", store.StatsQuery{Bucket: time.Hour}},
		{"stats/day-30d-pack", store.StatsQuery{From: end.Add(-BenchTrafficSpan), To: end, Bucket: 24 * time.Hour, Pack: "bank"}},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := in.Stats(ctx, q.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, q := range []struct {
		name string
		q    store.SearchQuery
	}{
		{"search/latest", store.SearchQuery{}},
		{"search/word", store.SearchQuery{Text: "router"}},
		{"search/photo-low-csat", store.SearchQuery{Modalities: store.ModImage, CSATMax: 2}},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := in.Search(ctx, q.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
