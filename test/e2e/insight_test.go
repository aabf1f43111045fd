package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/checkgen"
	"github.com/parleyhq/parley/store"
	"github.com/parleyhq/parley/store/sqlite"
	"github.com/parleyhq/parley/store/storetest"
)

// cohortWant is what the dashboard's comparison must show for one side, computed here from the
// generated conversations, not by the store.
type cohortWant struct {
	Ratings   int     `json:"ratings"`
	Satisfied float64 `json:"satisfied"`
	Resolved  int     `json:"resolved"`
	MeanSecs  float64 `json:"mean_secs"`
}

// insightWant is the expectation handed to insight.mjs.
type insightWant struct {
	From, To   string                `json:"-"`
	Points     map[string]int        `json:"points"`
	Comparison map[string]cohortWant `json:"comparison"`
	Word       string                `json:"word"`
	Conv       string                `json:"conv"`
}

// expectInsight computes each chart's point count over the hourly buckets of [from, to) and the
// unimodal/multimodal comparison from the generated traffic.
func expectInsight(ts []storetest.Traffic, from, to time.Time) insightWant {
	hours := int(to.Sub(from) / time.Hour)
	conv, rated, resolved := map[time.Time]bool{}, map[time.Time]bool{}, map[time.Time]bool{}
	packs := map[string]bool{}
	cmp := map[string]*cohortWant{"unimodal": {}, "multimodal": {}}
	sat := map[string]int{}
	for _, t := range ts {
		if t.Created.Before(from) || !t.Created.Before(to) {
			continue
		}
		h := t.Created.Truncate(time.Hour)
		conv[h] = true
		packs[t.Pack] = true
		if t.CSAT > 0 {
			rated[h] = true
		}
		if t.Resolved > 0 {
			resolved[h] = true
		}
		if t.Mask == 0 {
			continue
		}
		side := "unimodal"
		if store.Multimodal(t.Mask) {
			side = "multimodal"
		}
		c := cmp[side]
		if t.CSAT > 0 {
			c.Ratings++
			if t.CSAT >= store.SatisfiedScore {
				sat[side]++
			}
		}
		if t.Resolved > 0 {
			c.Resolved++
			c.MeanSecs += t.Resolved.Seconds()
		}
	}
	out := insightWant{Points: map[string]int{
		"conversations": hours, "resolution_rate": len(conv), "handoff_rate": len(conv), "csat": len(rated),
		"median_resolution": len(resolved), "packs": hours * len(packs), "modality": hours * 5,
		"compare_csat": 2, "compare_resolution": 2, "edge": 2,
	}, Comparison: map[string]cohortWant{}}
	for side, c := range cmp {
		if c.Ratings > 0 {
			c.Satisfied = float64(sat[side]) / float64(c.Ratings)
		}
		if c.Resolved > 0 {
			c.MeanSecs /= float64(c.Resolved)
		}
		out.Comparison[side] = *c
	}
	return out
}

// TestInsightDashboardAndExplorer seeds two days of generated traffic into the store, adds a live
// check deposit through the API, and drives the dashboard, the explorer and the agent console in
// Chromium: every chart has the points the traffic implies, the comparison matches the figures
// computed here, and the explorer finds the deposit by a word and shows the crop behind its amount.
func TestInsightDashboardAndExplorer(t *testing.T) {
	env := newBrowserEnv(t)
	dir := t.TempDir()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	from, to := today.Add(-48*time.Hour), today
	traffic := storetest.GenerateTraffic(600, 15, from, 48*time.Hour)
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := storetest.StoreTraffic(t.Context(), db, traffic, 32); err != nil {
		t.Fatal(err)
	}
	db.Close()

	base, _ := serveData(t, dir)
	conv := liveDeposit(t, base)

	want := expectInsight(traffic, from, to)
	want.Word, want.Conv = "pelican", conv
	expect, _ := json.Marshal(want)
	ctx, cancel := context.WithTimeout(t.Context(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, filepath.Join(env.scripts, "insight.mjs"))
	cmd.Dir = env.scripts
	cmd.Env = append(os.Environ(), "PARLEY_URL="+base, "PARLEY_CHROMIUM="+env.chromium, "PARLEY_SCREENSHOTS="+env.shots,
		"FROM="+from.Format(time.DateOnly), "TO="+to.Format(time.DateOnly), "EXPECT="+string(expect))
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("insight scenario failed: %v", err)
	}
}

// liveDeposit runs a check deposit through the API: a request with a distinctive word, a photo of
// a generated check, an angry correction and a handoff. It returns the conversation's ID after
// checking that the amount's evidence carries a crop.
func liveDeposit(t *testing.T, base string) string {
	t.Helper()
	call := func(method, path, ctype string, body io.Reader) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, body)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		json.Unmarshal(raw, &out)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		return out
	}
	say := func(id, text string) {
		b, _ := json.Marshal(map[string]string{"text": text})
		call("POST", "/v1/conversations/"+id+"/messages", "application/json", bytes.NewReader(b))
	}
	id := call("POST", "/v1/conversations", "application/json", strings.NewReader(`{"pack":"bank"}`))["id"].(string)
	say(id, "I want to deposit a check, the one with the pelican on it")
	_, img := checkgen.New(206).Generate(checkgen.Options{Amount: 206})
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", "check.png")
	fw.Write(pic.Bytes())
	mw.Close()
	call("POST", "/v1/conversations/"+id+"/messages", mw.FormDataContentType(), &body)
	say(id, "No, that is wrong, this is ridiculous, I already told you twice!")
	call("POST", "/v1/conversations/"+id+"/handoff", "application/json", strings.NewReader(`{"reason":"customer disputes the amount"}`))
	tl := call("GET", "/v1/conversations/"+id+"/timeline", "", nil)
	var crops []string
	for _, c := range tl["crops"].([]any) {
		if c := c.(map[string]any); c["slot"] == "amount" && strings.HasPrefix(c["url"].(string), "/v1/blobs/") {
			crops = append(crops, c["url"].(string))
		}
	}
	if len(crops) == 0 {
		t.Fatalf("no crop of the check's amount is stored: %v", tl["crops"])
	}
	return id
}
