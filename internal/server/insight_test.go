package server_test

import (
	"bytes"
	"encoding/csv"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/textcue"
)

// insightPhoto is a small real PNG.
func insightPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(3, 3, color.White)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// seedInsight makes four bank conversations: two text only (CSAT 2 and 3) and two that also
// send a photo (CSAT 5 and 4), one of the latter with the word "zebra".
func seedInsight(t *testing.T, f *fixture) (ids []string) {
	t.Helper()
	pic := insightPhoto(t)
	for i, c := range []struct {
		text  string
		photo bool
		score int
	}{{"I would like to deposit a check", false, 2}, {"deposit a check please", false, 3},
		{"deposit a check, zebra stripes on it", true, 5}, {"I want to deposit a check", true, 4}} {
		id := f.conversation("bank")
		ids = append(ids, id)
		if code, out := f.json("POST", "/v1/conversations/"+id+"/messages", map[string]string{"text": c.text}); code != 200 {
			t.Fatalf("message %d: %d %v", i, code, out)
		}
		if c.photo {
			body, ct := multipartBody(t, nil, map[string][]byte{"image": pic})
			req, _ := http.NewRequest("POST", f.http.URL+"/v1/conversations/"+id+"/messages", body)
			req.Header.Set("Content-Type", ct)
			if code, raw := f.do(req); code != 200 {
				t.Fatalf("photo %d: %d %s", i, code, raw)
			}
		}
		if code, _ := f.json("POST", "/v1/conversations/"+id+"/csat", map[string]any{"score": c.score}); code != 200 {
			t.Fatalf("csat %d: %d", i, code)
		}
	}
	return ids
}

func get(t *testing.T, f *fixture, path string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.http.URL+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

func TestStatsSeriesAndComparison(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	seedInsight(t, f)
	code, st := f.json("GET", "/v1/stats?bucket=hour", nil)
	if code != 200 {
		t.Fatalf("stats: %d %v", code, st)
	}
	if st["conversations"].(float64) != 4 || st["csat_average"].(float64) != 3.5 {
		t.Errorf("totals: %v %v", st["conversations"], st["csat_average"])
	}
	series := st["series"].([]any)
	if len(series) != 24 {
		t.Errorf("hourly series over the default day has %d points, want 24", len(series))
	}
	total := 0.0
	for _, p := range series {
		total += p.(map[string]any)["conversations"].(float64)
	}
	if total != 4 {
		t.Errorf("series holds %v conversations, want 4", total)
	}
	cmp := st["comparison"].(map[string]any)
	uni, multi := cmp["unimodal"].(map[string]any), cmp["multimodal"].(map[string]any)
	if uni["conversations"].(float64) != 2 || multi["conversations"].(float64) != 2 {
		t.Fatalf("comparison: %v", cmp)
	}
	if uni["csat_mean"].(float64) != 2.5 || multi["csat_mean"].(float64) != 4.5 || uni["satisfied_share"].(float64) != 0 || multi["satisfied_share"].(float64) != 1 {
		t.Errorf("comparison CSAT: unimodal %v, multimodal %v", uni, multi)
	}
	if d := cmp["satisfied_share_points"].(map[string]any); d["value"].(float64) != 100 {
		t.Errorf("difference %v", d)
	}
	if ci := multi["csat_mean_ci95"].([]any); ci[0].(float64) >= 4.5 || ci[1].(float64) <= 4.5 {
		t.Errorf("multimodal CSAT interval %v does not hold its mean", ci)
	}
	if n := len(st["packs"].(map[string]any)["bank"].([]any)); n != 24 {
		t.Errorf("bank series: %d points", n)
	}
	_, day := f.json("GET", "/v1/stats?bucket=day&pack=bank", nil)
	if n := len(day["series"].([]any)); n != 30 {
		t.Errorf("daily series over the default 30 days: %d points", n)
	}
	_, tele := f.json("GET", "/v1/stats?pack=telecom", nil)
	if tele["conversations"].(float64) != 0 {
		t.Errorf("telecom has %v conversations", tele["conversations"])
	}
}

func TestStatsCSVAndCharts(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	seedInsight(t, f)
	code, ctype, body := get(t, f, "/v1/stats?format=csv&series=comparison")
	if code != 200 || !strings.HasPrefix(ctype, "text/csv") {
		t.Fatalf("csv: %d %s %s", code, ctype, body)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 3 || rows[1][0] != "unimodal" || rows[2][0] != "multimodal" || rows[2][3] != "4.5" {
		t.Fatalf("comparison csv: %v %v", rows, err)
	}
	_, _, body = get(t, f, "/v1/stats?format=csv&series=overall")
	if rows, _ := csv.NewReader(bytes.NewReader(body)).ReadAll(); len(rows) != 25 {
		t.Errorf("overall csv: %d rows, want a header and 24 hours", len(rows))
	}
	code, ctype, body = get(t, f, "/v1/stats/charts?bucket=hour")
	if code != 200 || !strings.HasPrefix(ctype, "text/html") {
		t.Fatalf("charts: %d %s", code, ctype)
	}
	html := string(body)
	if n := strings.Count(html, "<svg"); n < 10 {
		t.Errorf("%d charts drawn", n)
	}
	points := func(id string) int {
		m := regexp.MustCompile(`<svg [^>]*data-chart="` + id + `" data-points="(\d+)"`).FindStringSubmatch(html)
		if m == nil {
			t.Fatalf("no %s chart", id)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if n := points("conversations"); n != 24 {
		t.Errorf("conversations chart: %d points, want 24", n)
	}
	if n := points("csat"); n != 1 {
		t.Errorf("CSAT chart: %d points, want 1 (one hour has ratings)", n)
	}
	if n := points("compare_csat"); n != 2 {
		t.Errorf("comparison chart: %d bars", n)
	}
	if n := strings.Count(html, `class="point"`); n < 24 {
		t.Errorf("%d points drawn", n)
	}
}

func TestStatsAndExploreRefuseBadQueries(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	for _, q := range []string{
		"/v1/stats?bucket=week", "/v1/stats?from=yesterday", "/v1/stats?from=2026-03-02&to=2026-03-01",
		"/v1/stats?pack=nope", "/v1/stats?format=xml", "/v1/stats?format=csv&series=nope",
		"/v1/stats?from=2020-01-01&to=2026-01-01", "/v1/stats/charts?bucket=minute",
		"/v1/explore?status=lost", "/v1/explore?modality=smell", "/v1/explore?csat_min=9",
		"/v1/explore?csat_min=4&csat_max=2", "/v1/explore?limit=0", "/v1/explore?before=soon",
		"/v1/explore?q=" + strings.Repeat("x", 300), "/v1/explore?format=pdf",
	} {
		code, out := f.json("GET", q, nil)
		if code != 400 {
			t.Errorf("%s: %d %v, want 400", q, code, out)
			continue
		}
		if msg := out["error"].(map[string]any)["message"].(string); msg == "" {
			t.Errorf("%s: no message", q)
		}
	}
}

func TestExploreFindsByWordAndExports(t *testing.T) {
	f := newFixture(t, t.TempDir(), server.Options{})
	ids := seedInsight(t, f)
	_, out := f.json("GET", "/v1/explore?q=ZEBRA", nil)
	found := out["conversations"].([]any)
	if len(found) != 1 || found[0].(map[string]any)["id"] != ids[2] {
		t.Fatalf("q=ZEBRA found %v, want %s", found, ids[2])
	}
	c := found[0].(map[string]any)
	if c["csat"].(float64) != 5 || !c["multimodal"].(bool) || !strings.Contains(c["snippet"].(string), "zebra") {
		t.Errorf("found %v", c)
	}
	_, out = f.json("GET", "/v1/explore?modality=image&csat_max=4", nil)
	if found := out["conversations"].([]any); len(found) != 1 || found[0].(map[string]any)["id"] != ids[3] {
		t.Errorf("photo and CSAT at most 4: %v", found)
	}
	_, out = f.json("GET", "/v1/explore?limit=3", nil)
	if len(out["conversations"].([]any)) != 3 || out["next_before"] == nil {
		t.Fatalf("first page: %v", out)
	}
	_, out = f.json("GET", "/v1/explore?limit=3&before="+url.QueryEscape(out["next_before"].(string)), nil)
	if found := out["conversations"].([]any); len(found) != 1 || found[0].(map[string]any)["id"] != ids[0] {
		t.Errorf("second page: %v", found)
	}
	code, ctype, body := get(t, f, "/v1/explore?format=csv&pack=bank")
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if code != 200 || !strings.HasPrefix(ctype, "text/csv") || err != nil || len(rows) != 5 || rows[0][0] != "id" {
		t.Fatalf("csv export: %d %s %v %v", code, ctype, rows, err)
	}
}

func TestTimelineShowsFrustrationAndSummary(t *testing.T) {
	dir := t.TempDir()
	stages, _, err := perception.Build(perception.Env{Packs: mustPacks(t), DataDir: dir}, []string{"text.nlu", textcue.StageID})
	if err != nil || len(stages) != 2 {
		t.Fatalf("text stages: %v", err)
	}
	f := newFixture(t, dir, server.Options{Stages: stages})
	id := f.conversation("bank")
	for _, text := range []string{"I want to deposit a check for $206.00",
		"No! That is wrong, this is ridiculous, I am so angry and fed up",
		"This is useless, I am furious, nothing works"} {
		f.json("POST", "/v1/conversations/"+id+"/messages", map[string]string{"text": text})
	}
	code, tl := f.json("GET", "/v1/conversations/"+id+"/timeline", nil)
	if code != 200 {
		t.Fatalf("timeline: %d %v", code, tl)
	}
	points := tl["points"].([]any)
	if len(points) != 3 {
		t.Fatalf("%d points, want 3", len(points))
	}
	first, last := points[0].(map[string]any), points[2].(map[string]any)
	if last["frustration"].(float64) <= first["frustration"].(float64) {
		t.Errorf("frustration did not rise: %v -> %v", first["frustration"], last["frustration"])
	}
	if cues := last["cues"].([]any); len(cues) == 0 || cues[0].(map[string]any)["source"] != "words" {
		t.Errorf("cues of the angry message: %v", last["cues"])
	}
	sum := tl["summary"].(string)
	t.Logf("summary: %s", sum)
	if !strings.HasPrefix(sum, "Customer wants to deposit a check") || !strings.Contains(sum, "$206.00") {
		t.Errorf("summary %q", sum)
	}
	if code, _ := f.json("GET", "/v1/conversations/nope/timeline", nil); code != 404 {
		t.Errorf("unknown conversation: %d", code)
	}
}

// FuzzStatsAndExploreQueries sends arbitrary query strings to the stats, charts and explorer
// endpoints: every answer is a 200 or a 400, never a server error.
func FuzzStatsAndExploreQueries(f *testing.F) {
	for _, q := range []string{"bucket=hour", "bucket=day&from=2026-03-01&to=2026-03-02", "from=2026-03-01T00:00:00Z",
		"pack=bank&format=csv&series=packs", "q=check&modality=text,image&csat_min=1&csat_max=5&limit=10",
		"before=2026-03-01T00:00:00.5Z", "to=0001-01-01", "from=9999-12-31&bucket=hour"} {
		f.Add(q)
	}
	t := &testing.T{}
	fx := newFixture(t, f.TempDir(), server.Options{})
	fx.conversation("bank")
	h := fx.srv.Handler()
	f.Fuzz(func(t *testing.T, q string) {
		for _, path := range []string{"/v1/stats", "/v1/stats/charts", "/v1/explore"} {
			req := httptest.NewRequest("GET", path, nil)
			req.URL.RawQuery = q
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 && w.Code != 400 {
				t.Fatalf("GET %s?%s: %d %s", path, q, w.Code, w.Body)
			}
		}
	})
}
