package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Modality bits: which kinds of input a customer used in a conversation. A conversation's mask is
// the OR of the bits of its customer messages; a mask with two or more bits is multimodal.
const (
	ModText  = 1 << iota // typed text
	ModImage             // a photo or image part
	ModAudio             // a voice part
	ModVideo             // a video part
)

// ModalityNames names each modality bit, in bit order.
var ModalityNames = []string{"text", "image", "audio", "video"}

// Multimodal reports whether a modality mask holds two or more modalities.
func Multimodal(mask int) bool { return mask&(mask-1) != 0 }

// SatisfiedScore is the lowest CSAT score (of 1 to 5) that counts as a satisfied customer.
const SatisfiedScore = 4

// ErrBadQuery is returned for a stats or search query the store cannot answer as asked.
var ErrBadQuery = errors.New("store: bad query")

// StatsQuery selects and buckets the conversations Stats aggregates.
type StatsQuery struct {
	// From and To bound the conversations' creation time: From <= created_at < To. Zero is unbounded.
	From, To time.Time
	// Bucket is the width of a time bucket (an hour or a day); buckets start at multiples of it
	// since the Unix epoch, in UTC. It must be a whole number of seconds.
	Bucket time.Duration
	// Pack keeps only that pack's conversations; empty keeps all.
	Pack string
	// Tenant keeps only that tenant's conversations; empty keeps all.
	Tenant string
}

// Validate reports a query no backend can answer: a bucket under a second or not a whole number
// of seconds, or a range that ends before it starts.
func (q StatsQuery) Validate() error {
	if q.Bucket < time.Second || q.Bucket%time.Second != 0 {
		return fmt.Errorf("stats bucket %v is not a whole number of seconds: %w", q.Bucket, ErrBadQuery)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return fmt.Errorf("stats range ends (%v) before it starts (%v): %w", q.To, q.From, ErrBadQuery)
	}
	return nil
}

// Group is the aggregate of a set of conversations. Sums let a caller derive means and variances
// (and so confidence intervals) without the rows.
type Group struct {
	Conversations int `json:"conversations"`
	Resolved      int `json:"resolved"`
	Handoffs      int `json:"handoffs"`
	// CSATCount conversations have a rating; CSATSum and CSATSumSq are over their scores, and
	// Satisfied counts scores of SatisfiedScore or more.
	CSATCount int     `json:"csat_count"`
	CSATSum   float64 `json:"csat_sum"`
	CSATSumSq float64 `json:"csat_sum_sq"`
	Satisfied int     `json:"satisfied"`
	// ResolutionSum and ResolutionSumSq are over the resolved conversations' time to resolution,
	// in seconds; MedianResolution is their median, nil when none resolved.
	ResolutionSum    float64  `json:"resolution_sum"`
	ResolutionSumSq  float64  `json:"resolution_sum_sq"`
	MedianResolution *float64 `json:"median_resolution_secs"`
}

// Add adds o's counts and sums to g. Medians do not add: g keeps its own.
func (g *Group) Add(o Group) {
	g.Conversations += o.Conversations
	g.Resolved += o.Resolved
	g.Handoffs += o.Handoffs
	g.CSATCount += o.CSATCount
	g.CSATSum += o.CSATSum
	g.CSATSumSq += o.CSATSumSq
	g.Satisfied += o.Satisfied
	g.ResolutionSum += o.ResolutionSum
	g.ResolutionSumSq += o.ResolutionSumSq
}

// Bucketed is a Group of the conversations created in the bucket starting at Start.
type Bucketed struct {
	Start time.Time `json:"start"`
	Group
}

// Stats is what Stats returns. Series hold only buckets that have conversations, oldest first.
type Stats struct {
	Overall Group
	// Buckets is the series over all selected packs.
	Buckets []Bucketed
	// PackBuckets is the series of each pack; Packs its totals.
	PackBuckets map[string][]Bucketed
	Packs       map[string]Group
	// ModalityBuckets counts conversations per bucket by modality mask (medians unset).
	ModalityBuckets map[int][]Bucketed
	// Unimodal and Multimodal are the conversations whose customer used one, or several,
	// modalities; conversations without a customer message are in neither.
	Unimodal, Multimodal Group
	// ByStatus counts conversations per status.
	ByStatus map[string]int
	// Messages counts customer messages; Parts counts their inputs by modality name (a message's
	// text counts as one text input).
	Messages int
	Parts    map[string]int
}

// SearchQuery selects conversations for the explorer; zero values match everything.
type SearchQuery struct {
	// Text matches conversations with a message containing it (case-insensitive for ASCII).
	Text   string
	Pack   string
	Status string
	// Tenant keeps only that tenant's conversations; empty keeps all.
	Tenant string
	// Modalities keeps conversations whose mask holds all these bits.
	Modalities int
	// From and To bound the creation time, as in StatsQuery.
	From, To time.Time
	// CSATMin and CSATMax (1 to 5) keep rated conversations within them; 0 is no bound.
	CSATMin, CSATMax int
	// Before continues a listing: only conversations created before it. Limit caps the results
	// (0 means 50).
	Before time.Time
	Limit  int
}

// Found is one conversation a search matched.
type Found struct {
	ID         string     `json:"id"`
	Pack       string     `json:"pack"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	CSAT       *int       `json:"csat,omitempty"`
	Handoff    bool       `json:"handoff"`
	Modalities int        `json:"modalities"`
	Messages   int        `json:"messages"`
	// Snippet is the text of the first customer message that matched Text (or the first customer
	// message when Text is empty).
	Snippet string `json:"snippet"`
}

// Insights are the aggregates and searches the staff dashboard and explorer read, computed by the
// database. Every backend implements it beside store.Store, on columns its schema maintains on
// write; store/storetest's RunInsights is its conformance suite.
type Insights interface {
	// Stats aggregates the conversations q selects; ErrBadQuery when q does not Validate.
	Stats(ctx context.Context, q StatsQuery) (*Stats, error)
	// Search lists the conversations q selects, newest first.
	Search(ctx context.Context, q SearchQuery) ([]Found, error)
}

// DefaultSearchLimit is the number of results of a search without a limit.
const DefaultSearchLimit = 50

// Median groupings a StatsBuilder takes medians for.
const (
	MedianOverall    = iota // all selected conversations
	MedianBucket            // per bucket
	MedianPackBucket        // per pack and bucket
	MedianPack              // per pack
	MedianCohort            // key "unimodal" or "multimodal"
)

// StatsBuilder assembles Stats from the rows of a backend's aggregate queries: counts grouped by
// bucket, pack and modality mask, which it adds up into every series, and medians per grouping,
// which do not add up and so come from the database per grouping.
type StatsBuilder struct {
	s       Stats
	buckets map[time.Time]*Group
	packs   map[string]map[time.Time]*Group
	mods    map[int]map[time.Time]*Group
}

// NewStatsBuilder returns an empty builder.
func NewStatsBuilder() *StatsBuilder {
	return &StatsBuilder{
		s: Stats{Packs: map[string]Group{}, ByStatus: map[string]int{}, Parts: map[string]int{
			"text": 0, "image": 0, "audio": 0, "video": 0}},
		buckets: map[time.Time]*Group{},
		packs:   map[string]map[time.Time]*Group{},
		mods:    map[int]map[time.Time]*Group{},
	}
}

// AddCounts adds the counts of the conversations of one pack and modality mask created in the
// bucket starting at start, with their customer messages and inputs per modality (text, image,
// audio, video).
func (b *StatsBuilder) AddCounts(start time.Time, pack string, mask int, g Group, messages int, parts [4]int) {
	start = start.UTC()
	g.MedianResolution = nil
	b.s.Overall.Add(g)
	at(b.buckets, start).Add(g)
	if b.packs[pack] == nil {
		b.packs[pack] = map[time.Time]*Group{}
	}
	at(b.packs[pack], start).Add(g)
	pg := b.s.Packs[pack]
	pg.Add(g)
	b.s.Packs[pack] = pg
	if b.mods[mask] == nil {
		b.mods[mask] = map[time.Time]*Group{}
	}
	at(b.mods[mask], start).Add(g)
	switch {
	case mask == 0:
	case Multimodal(mask):
		b.s.Multimodal.Add(g)
	default:
		b.s.Unimodal.Add(g)
	}
	b.s.Messages += messages
	for i, n := range parts {
		b.s.Parts[ModalityNames[i]] += n
	}
}

// AddStatus counts n conversations with status st.
func (b *StatsBuilder) AddStatus(st string, n int) { b.s.ByStatus[st] += n }

// SetMedian records the median resolution time (seconds) of a grouping: start is the bucket for
// MedianBucket and MedianPackBucket, key the pack or cohort name for MedianPack,
// MedianPackBucket and MedianCohort.
func (b *StatsBuilder) SetMedian(grouping int, start time.Time, key string, secs float64) {
	v := &secs
	start = start.UTC()
	switch grouping {
	case MedianOverall:
		b.s.Overall.MedianResolution = v
	case MedianBucket:
		at(b.buckets, start).MedianResolution = v
	case MedianPackBucket:
		if b.packs[key] == nil {
			b.packs[key] = map[time.Time]*Group{}
		}
		at(b.packs[key], start).MedianResolution = v
	case MedianPack:
		pg := b.s.Packs[key]
		pg.MedianResolution = v
		b.s.Packs[key] = pg
	case MedianCohort:
		if key == "multimodal" {
			b.s.Multimodal.MedianResolution = v
		} else {
			b.s.Unimodal.MedianResolution = v
		}
	}
}

// Stats returns the assembled Stats; the builder must not be used afterwards.
func (b *StatsBuilder) Stats() *Stats {
	b.s.Buckets = series(b.buckets)
	b.s.PackBuckets = map[string][]Bucketed{}
	for p, m := range b.packs {
		b.s.PackBuckets[p] = series(m)
	}
	b.s.ModalityBuckets = map[int][]Bucketed{}
	for k, m := range b.mods {
		b.s.ModalityBuckets[k] = series(m)
	}
	return &b.s
}

func at(m map[time.Time]*Group, t time.Time) *Group {
	g := m[t]
	if g == nil {
		g = new(Group)
		m[t] = g
	}
	return g
}

func series(m map[time.Time]*Group) []Bucketed {
	out := make([]Bucketed, 0, len(m))
	for t, g := range m {
		out = append(out, Bucketed{Start: t, Group: *g})
	}
	slices.SortFunc(out, func(a, b Bucketed) int { return a.Start.Compare(b.Start) })
	return out
}

// Medians takes the median resolution time of every grouping from values added in ascending
// order, for backends without a percentile aggregate.
type Medians struct {
	overall   []float64
	buckets   map[int64][]float64
	packs     map[string][]float64
	packBkts  map[string]map[int64][]float64
	uni, mult []float64
}

// Add records one resolved conversation created in the bucket starting at start (Unix
// nanoseconds); calls must come in ascending order of secs.
func (m *Medians) Add(start int64, pack string, mask int, secs float64) {
	if m.buckets == nil {
		m.buckets, m.packs, m.packBkts = map[int64][]float64{}, map[string][]float64{}, map[string]map[int64][]float64{}
	}
	m.overall = append(m.overall, secs)
	m.buckets[start] = append(m.buckets[start], secs)
	m.packs[pack] = append(m.packs[pack], secs)
	pb := m.packBkts[pack]
	if pb == nil {
		pb = map[int64][]float64{}
		m.packBkts[pack] = pb
	}
	pb[start] = append(pb[start], secs)
	switch {
	case mask == 0:
	case Multimodal(mask):
		m.mult = append(m.mult, secs)
	default:
		m.uni = append(m.uni, secs)
	}
}

// Apply sets the medians on b.
func (m *Medians) Apply(b *StatsBuilder) {
	set := func(g int, start int64, key string, v []float64) {
		if len(v) > 0 {
			b.SetMedian(g, time.Unix(0, start), key, median(v))
		}
	}
	set(MedianOverall, 0, "", m.overall)
	for t, v := range m.buckets {
		set(MedianBucket, t, "", v)
	}
	for p, v := range m.packs {
		set(MedianPack, 0, p, v)
	}
	for p, bs := range m.packBkts {
		for t, v := range bs {
			set(MedianPackBucket, t, p, v)
		}
	}
	set(MedianCohort, 0, "unimodal", m.uni)
	set(MedianCohort, 0, "multimodal", m.mult)
}

// median of sorted values: the middle one, or the mean of the two middle ones.
func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
