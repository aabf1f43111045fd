package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/parleyhq/parley/store"
)

// RunInsights runs the store.Insights conformance suite: open must return a store.Store that also
// implements store.Insights, with the contract of Run.
func RunInsights(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, in store.Insights)
	}{
		{"StatsSeries", testStatsSeries},
		{"StatsCohorts", testStatsCohorts},
		{"StatsPackAndRange", testStatsPackAndRange},
		{"StatsBadBucket", testStatsBadBucket},
		{"StatsEmpty", testStatsEmpty},
		{"Search", testSearch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			in, ok := s.(store.Insights)
			if !ok {
				t.Fatalf("%T does not implement store.Insights", s)
			}
			tc.fn(t, s, in)
		})
	}
}

// t0 is the start of the first hour bucket of the insight fixtures.
var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// seedInsights stores six conversations (the sixth outside [t0, t0+2h)) through the ordinary
// Store calls, so the columns the backend aggregates must be maintained on write:
//
//	c1 bank     t0+10m  text                  resolved after 300 s  CSAT 5 (set on create)
//	c2 bank     t0+20m  text, then a photo    resolved after 100 s  CSAT 4
//	c3 telecom  t0+30m  text (+ agent reply)  handed off            CSAT 1, then changed to 2
//	c4 bank     t0+65m  text with a voice     resolved after 200 s  no CSAT
//	c5 telecom  t0+70m  no message            open
//	c6 bank     t0+2h   text with a video     resolved after 50 s   CSAT 1
func seedInsights(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	create := func(id, pack string, min int, csat *store.CSAT, resolveAfter int) {
		t.Helper()
		created := t0.Add(time.Duration(min) * time.Minute)
		c := &store.Conversation{ID: id, Pack: pack, Status: store.StatusOpen, CreatedAt: created, UpdatedAt: created, CSAT: csat}
		if resolveAfter > 0 {
			r := created.Add(time.Duration(resolveAfter) * time.Second)
			c.ResolvedAt, c.Status = &r, store.StatusResolved
		}
		mustCreate(t, s, c)
	}
	msg := func(id, role, text string, kinds ...string) {
		t.Helper()
		m := &store.Message{ConversationID: id, Role: role, Text: text}
		for _, k := range kinds {
			m.Parts = append(m.Parts, store.BlobRef{Kind: k, Hash: "ab" + k, ContentType: k + "/x", Size: 10})
		}
		if _, err := s.AddMessage(ctx, m); err != nil {
			t.Fatalf("AddMessage(%s): %v", id, err)
		}
	}
	update := func(id string, fn func(c *store.Conversation)) {
		t.Helper()
		c, err := s.Conversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		fn(c)
		if err := s.UpdateConversation(ctx, c); err != nil {
			t.Fatalf("UpdateConversation(%s): %v", id, err)
		}
	}
	rating := func(n int) *store.CSAT { return &store.CSAT{Score: n, At: t0.Add(3 * time.Hour)} }
	create("c1", "bank", 10, rating(5), 300)
	msg("c1", store.RoleCustomer, "I would like to deposit a check")
	create("c2", "bank", 20, nil, 0)
	msg("c2", store.RoleCustomer, "Deposit this check please")
	msg("c2", store.RoleCustomer, "", "image")
	update("c2", func(c *store.Conversation) {
		r := c.CreatedAt.Add(100 * time.Second)
		c.Status, c.ResolvedAt, c.CSAT = store.StatusResolved, &r, rating(4)
	})
	create("c3", "telecom", 30, nil, 0)
	msg("c3", store.RoleCustomer, "My router keeps dropping")
	msg("c3", store.RoleAgent, "Let me look at your line")
	update("c3", func(c *store.Conversation) {
		c.Status, c.CSAT = store.StatusHandoff, rating(1)
		c.Handoff = &store.Handoff{Reason: "asked", Summary: "router drops", At: c.CreatedAt.Add(time.Minute)}
	})
	update("c3", func(c *store.Conversation) { c.CSAT = rating(2) })
	create("c4", "bank", 65, nil, 200)
	msg("c4", store.RoleCustomer, "here is the amount", "audio")
	create("c5", "telecom", 70, nil, 0)
	create("c6", "bank", 120, rating(1), 50)
	msg("c6", store.RoleCustomer, "the washer shows an error", "video")
}

func statsOf(t *testing.T, in store.Insights, q store.StatsQuery) *store.Stats {
	t.Helper()
	st, err := in.Stats(context.Background(), q)
	if err != nil {
		t.Fatalf("Stats(%+v): %v", q, err)
	}
	return st
}

func secs(v float64) *float64 { return &v }

// group is a Group literal: conversations, resolved, handoffs, CSAT (count, sum, sum of squares,
// satisfied), resolution (sum, sum of squares) and median.
func group(n, resolved, handoffs, csatN int, csatSum, csatSq float64, satisfied int, resSum, resSq float64, median *float64) store.Group {
	return store.Group{Conversations: n, Resolved: resolved, Handoffs: handoffs, CSATCount: csatN, CSATSum: csatSum,
		CSATSumSq: csatSq, Satisfied: satisfied, ResolutionSum: resSum, ResolutionSumSq: resSq, MedianResolution: median}
}

func checkGroup(t *testing.T, what string, got, want store.Group) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v (median %v)\nwant %+v (median %v)", what, got, deref(got.MedianResolution), want, deref(want.MedianResolution))
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func testStatsSeries(t *testing.T, s store.Store, in store.Insights) {
	seedInsights(t, s)
	st := statsOf(t, in, store.StatsQuery{From: t0, To: t0.Add(2 * time.Hour), Bucket: time.Hour})
	checkGroup(t, "overall", st.Overall, group(5, 3, 1, 3, 11, 45, 2, 600, 140000, secs(200)))
	if len(st.Buckets) != 2 {
		t.Fatalf("buckets = %+v, want 2", st.Buckets)
	}
	for i, want := range []store.Bucketed{
		{Start: t0, Group: group(3, 2, 1, 3, 11, 45, 2, 400, 100000, secs(200))},
		{Start: t0.Add(time.Hour), Group: group(2, 1, 0, 0, 0, 0, 0, 200, 40000, secs(200))},
	} {
		if !st.Buckets[i].Start.Equal(want.Start) {
			t.Errorf("bucket %d starts %v, want %v", i, st.Buckets[i].Start, want.Start)
		}
		checkGroup(t, "bucket "+want.Start.Format(time.TimeOnly), st.Buckets[i].Group, want.Group)
	}
	bank := st.PackBuckets["bank"]
	if len(bank) != 2 || len(st.PackBuckets["telecom"]) != 2 {
		t.Fatalf("pack buckets = %+v", st.PackBuckets)
	}
	checkGroup(t, "bank first hour", bank[0].Group, group(2, 2, 0, 2, 9, 41, 2, 400, 100000, secs(200)))
	checkGroup(t, "telecom first hour", st.PackBuckets["telecom"][0].Group, group(1, 0, 1, 1, 2, 4, 0, 0, 0, nil))
	checkGroup(t, "bank", st.Packs["bank"], group(3, 3, 0, 2, 9, 41, 2, 600, 140000, secs(200)))
	checkGroup(t, "telecom", st.Packs["telecom"], group(2, 0, 1, 1, 2, 4, 0, 0, 0, nil))
	mods := map[int][]int{}
	for mask, series := range st.ModalityBuckets {
		for _, b := range series {
			mods[mask] = append(mods[mask], b.Conversations)
		}
	}
	wantMods := map[int][]int{store.ModText: {2}, store.ModText | store.ModImage: {1}, store.ModText | store.ModAudio: {1}, 0: {1}}
	if !reflect.DeepEqual(mods, wantMods) {
		t.Errorf("conversations per modality mask = %v, want %v", mods, wantMods)
	}
	if want := map[string]int{"resolved": 3, "handoff": 1, "open": 1}; !reflect.DeepEqual(st.ByStatus, want) {
		t.Errorf("by status = %v, want %v", st.ByStatus, want)
	}
	if st.Messages != 5 {
		t.Errorf("customer messages = %d, want 5", st.Messages)
	}
	if want := map[string]int{"text": 4, "image": 1, "audio": 1, "video": 0}; !reflect.DeepEqual(st.Parts, want) {
		t.Errorf("inputs by modality = %v, want %v", st.Parts, want)
	}
}

func testStatsCohorts(t *testing.T, s store.Store, in store.Insights) {
	seedInsights(t, s)
	st := statsOf(t, in, store.StatsQuery{From: t0, To: t0.Add(2 * time.Hour), Bucket: 24 * time.Hour})
	checkGroup(t, "unimodal", st.Unimodal, group(2, 1, 1, 2, 7, 29, 1, 300, 90000, secs(300)))
	checkGroup(t, "multimodal", st.Multimodal, group(2, 2, 0, 1, 4, 16, 1, 300, 50000, secs(150)))
	if len(st.Buckets) != 1 || !st.Buckets[0].Start.Equal(t0) {
		t.Errorf("day buckets = %+v, want one at %v", st.Buckets, t0)
	}
}

func testStatsPackAndRange(t *testing.T, s store.Store, in store.Insights) {
	seedInsights(t, s)
	st := statsOf(t, in, store.StatsQuery{Pack: "bank", Bucket: time.Hour})
	checkGroup(t, "bank, all time", st.Overall, group(4, 4, 0, 3, 10, 42, 2, 650, 142500, secs(150)))
	if len(st.Buckets) != 3 || len(st.PackBuckets) != 1 {
		t.Errorf("bank: %d buckets over %d packs, want 3 over 1", len(st.Buckets), len(st.PackBuckets))
	}
	if st.Parts["video"] != 1 {
		t.Errorf("bank video inputs = %d, want 1", st.Parts["video"])
	}
	st = statsOf(t, in, store.StatsQuery{From: t0.Add(time.Hour), Bucket: time.Hour})
	checkGroup(t, "from the second hour", st.Overall, group(3, 2, 0, 1, 1, 1, 0, 250, 42500, secs(125)))
	// A range that starts inside an hour.
	st = statsOf(t, in, store.StatsQuery{From: t0.Add(30 * time.Minute), Bucket: time.Hour})
	checkGroup(t, "from half past", st.Overall, group(4, 2, 1, 2, 3, 5, 0, 250, 42500, secs(125)))
	if want := map[string]int{"resolved": 2, "handoff": 1, "open": 1}; !reflect.DeepEqual(st.ByStatus, want) {
		t.Errorf("by status from half past = %v, want %v", st.ByStatus, want)
	}
	// Whole hours and a range a nanosecond off them select the same conversations here, however
	// a backend answers each.
	a := statsOf(t, in, store.StatsQuery{From: t0, To: t0.Add(3 * time.Hour), Bucket: time.Hour})
	b := statsOf(t, in, store.StatsQuery{From: t0.Add(-time.Nanosecond), To: t0.Add(3*time.Hour - time.Nanosecond), Bucket: time.Hour})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("aligned and unaligned ranges differ:\n%+v\n%+v", a, b)
	}
}

func testStatsBadBucket(t *testing.T, s store.Store, in store.Insights) {
	for _, b := range []time.Duration{0, -time.Hour, time.Millisecond, 1500 * time.Millisecond} {
		if _, err := in.Stats(context.Background(), store.StatsQuery{Bucket: b}); !errors.Is(err, store.ErrBadQuery) {
			t.Errorf("Stats with bucket %v: err = %v, want ErrBadQuery", b, err)
		}
	}
}

func testStatsEmpty(t *testing.T, s store.Store, in store.Insights) {
	st := statsOf(t, in, store.StatsQuery{Bucket: time.Hour})
	checkGroup(t, "empty", st.Overall, store.Group{})
	if len(st.Buckets) != 0 || st.Messages != 0 || st.Parts["text"] != 0 {
		t.Errorf("empty store: %+v", st)
	}
}

func testSearch(t *testing.T, s store.Store, in store.Insights) {
	seedInsights(t, s)
	ids := func(q store.SearchQuery) []string {
		t.Helper()
		found, err := in.Search(context.Background(), q)
		if err != nil {
			t.Fatalf("Search(%+v): %v", q, err)
		}
		out := []string{}
		for _, f := range found {
			out = append(out, f.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    store.SearchQuery
		want []string
	}{
		{"all newest first", store.SearchQuery{}, []string{"c6", "c5", "c4", "c3", "c2", "c1"}},
		{"word any case", store.SearchQuery{Text: "CHECK"}, []string{"c2", "c1"}},
		{"agent words count", store.SearchQuery{Text: "your line"}, []string{"c3"}},
		{"wildcards are literal", store.SearchQuery{Text: "100%"}, []string{}},
		{"pack", store.SearchQuery{Pack: "telecom"}, []string{"c5", "c3"}},
		{"status", store.SearchQuery{Status: store.StatusHandoff}, []string{"c3"}},
		{"photo", store.SearchQuery{Modalities: store.ModImage}, []string{"c2"}},
		{"text and voice", store.SearchQuery{Modalities: store.ModText | store.ModAudio}, []string{"c4"}},
		{"range", store.SearchQuery{From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)}, []string{"c5", "c4"}},
		{"low CSAT", store.SearchQuery{CSATMax: 2}, []string{"c6", "c3"}},
		{"high CSAT", store.SearchQuery{CSATMin: 4}, []string{"c2", "c1"}},
		{"page", store.SearchQuery{Before: t0.Add(65 * time.Minute), Limit: 2}, []string{"c3", "c2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(tc.q); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	found, err := in.Search(context.Background(), store.SearchQuery{Text: "photo", Pack: "bank"})
	if err != nil || len(found) != 0 {
		t.Errorf("Search(photo) = %v, %v; want nothing (no message says it)", found, err)
	}
	found, err = in.Search(context.Background(), store.SearchQuery{Text: "deposit"})
	if err != nil || len(found) != 2 {
		t.Fatalf("Search(deposit) = %v, %v", found, err)
	}
	c2 := found[0]
	if c2.Snippet != "Deposit this check please" || c2.CSAT == nil || *c2.CSAT != 4 || c2.Messages != 2 ||
		c2.Modalities != store.ModText|store.ModImage || c2.ResolvedAt == nil || c2.Handoff {
		t.Errorf("c2 found as %+v", c2)
	}
}
