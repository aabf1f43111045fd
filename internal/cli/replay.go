package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/replay"
)

func init() {
	Register(&Command{Name: "replay", Summary: "read stored media again with the current stages and report what changed (--stage, --since, --conversation)", Run: runReplay})
}

// runReplay reads stored photos and recordings again with the current perception stages,
// records what they read beside the original observations and reports the differences.
func runReplay(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("replay", out)
	stage := fs.String("stage", "", "replay only this stage (e.g. image.check)")
	since := fs.String("since", "", "only messages stored since this time (RFC 3339, a date, or a duration back such as 72h)")
	conv := fs.String("conversation", "", "only this conversation")
	data := fs.String("data", "", "data directory (default ./data)")
	cfgPath := fs.String("config", "", "YAML config file (the servers' store)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, "", *data)
	if err != nil {
		return err
	}
	var ids []string
	if *stage != "" {
		ids = []string{*stage}
	}
	p, err := server.OpenPerception(ctx, cfg, ids, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer p.Close(context.Background())
	r := &replay.Replayer{Store: p.Store, Results: p.Results, Blobs: p.Blobs, Stages: p.Stages, Limits: cfg.Limits}
	bar := newProgress(os.Stderr)
	rep, err := r.Run(ctx, replay.Options{Stage: *stage, Since: from, Conversation: *conv, Progress: bar.show})
	bar.done()
	if err != nil && rep == nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if e := enc.Encode(rep); e != nil {
			return e
		}
		return err
	}
	for _, c := range rep.Changes {
		fmt.Fprintln(out, c.String())
	}
	for _, f := range rep.Failed {
		fmt.Fprintln(out, "not read:", f)
	}
	fmt.Fprintf(out, "replayed %d messages in %d conversations: %d readings, %d recorded as new, %d changes\n",
		rep.Messages, rep.Conversations, rep.Readings, rep.Recorded, len(rep.Changes))
	return err
}

// parseSince reads --since: empty for no bound, RFC 3339, a date (2006-01-02) or a duration
// back from now (72h).
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("replay: --since %q: want a time (2026-03-01T09:00:00Z), a date (2026-03-01) or a duration back (72h)", s)
}

// progress draws a bar on a terminal and plain lines at each tenth otherwise.
type progress struct {
	w        *os.File
	terminal bool
	last     int
	drawn    bool
}

func newProgress(w *os.File) *progress {
	fi, err := w.Stat()
	return &progress{w: w, terminal: err == nil && fi.Mode()&os.ModeCharDevice != 0, last: -1}
}

func (p *progress) show(done, total int) {
	if total == 0 {
		return
	}
	pct := done * 100 / total
	if p.terminal {
		const width = 30
		n := done * width / total
		fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d messages", strings.Repeat("#", n), strings.Repeat(".", width-n), pct, done, total)
		p.drawn = true
		return
	}
	if tenth := pct / 10; tenth != p.last {
		p.last = tenth
		fmt.Fprintf(p.w, "replayed %d/%d messages (%d%%)\n", done, total, pct)
	}
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
