package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/store"
)

var _ store.Insights = (*SQLite)(nil)

// insightsMigration adds the columns the dashboard and explorer aggregate, kept up to date by
// triggers on every write so that no caller has to remember them: the CSAT score and whether the
// conversation was handed off (from the csat and handoff JSON), and per conversation the number of
// customer messages, their inputs per modality and the modality mask (store.ModText...). A
// covering index lets the stats queries read only the index, never the large state column.
const insightsMigration = `
	ALTER TABLE conversations ADD COLUMN csat_score INTEGER;
	ALTER TABLE conversations ADD COLUMN handed_off INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE conversations ADD COLUMN customer_messages INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE conversations ADD COLUMN text_parts INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE conversations ADD COLUMN image_parts INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE conversations ADD COLUMN audio_parts INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE conversations ADD COLUMN video_parts INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE conversations ADD COLUMN modalities INTEGER NOT NULL DEFAULT 0;
	CREATE TRIGGER conversations_insights_insert AFTER INSERT ON conversations
	WHEN NEW.csat IS NOT NULL OR NEW.handoff IS NOT NULL BEGIN
		UPDATE conversations SET csat_score = json_extract(CAST(NEW.csat AS TEXT), '$.score'),
			handed_off = NEW.handoff IS NOT NULL WHERE id = NEW.id;
	END;
	CREATE TRIGGER conversations_insights_update AFTER UPDATE OF csat, handoff ON conversations
	WHEN NEW.csat IS NOT OLD.csat OR NEW.handoff IS NOT OLD.handoff BEGIN
		UPDATE conversations SET csat_score = json_extract(CAST(NEW.csat AS TEXT), '$.score'),
			handed_off = NEW.handoff IS NOT NULL WHERE id = NEW.id;
	END;
	CREATE TRIGGER messages_insights AFTER INSERT ON messages WHEN NEW.role = 'customer' BEGIN
		UPDATE conversations SET
			customer_messages = customer_messages + 1,
			text_parts = text_parts + (NEW.text <> ''),
			image_parts = image_parts + (SELECT COUNT(*) FROM json_each(CAST(NEW.parts AS TEXT)) WHERE json_extract(value, '$.kind') = 'image'),
			audio_parts = audio_parts + (SELECT COUNT(*) FROM json_each(CAST(NEW.parts AS TEXT)) WHERE json_extract(value, '$.kind') = 'audio'),
			video_parts = video_parts + (SELECT COUNT(*) FROM json_each(CAST(NEW.parts AS TEXT)) WHERE json_extract(value, '$.kind') = 'video'),
			modalities = modalities | (NEW.text <> '')
				| (EXISTS (SELECT 1 FROM json_each(CAST(NEW.parts AS TEXT)) WHERE json_extract(value, '$.kind') = 'image') << 1)
				| (EXISTS (SELECT 1 FROM json_each(CAST(NEW.parts AS TEXT)) WHERE json_extract(value, '$.kind') = 'audio') << 2)
				| (EXISTS (SELECT 1 FROM json_each(CAST(NEW.parts AS TEXT)) WHERE json_extract(value, '$.kind') = 'video') << 3)
		WHERE id = NEW.conversation_id;
	END;
	UPDATE conversations SET csat_score = json_extract(CAST(csat AS TEXT), '$.score'), handed_off = handoff IS NOT NULL;
	UPDATE conversations SET
		customer_messages = (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id AND m.role = 'customer'),
		text_parts = (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id AND m.role = 'customer' AND m.text <> ''),
		image_parts = (SELECT COUNT(*) FROM messages m, json_each(CAST(m.parts AS TEXT)) j
			WHERE m.conversation_id = conversations.id AND m.role = 'customer' AND json_extract(j.value, '$.kind') = 'image'),
		audio_parts = (SELECT COUNT(*) FROM messages m, json_each(CAST(m.parts AS TEXT)) j
			WHERE m.conversation_id = conversations.id AND m.role = 'customer' AND json_extract(j.value, '$.kind') = 'audio'),
		video_parts = (SELECT COUNT(*) FROM messages m, json_each(CAST(m.parts AS TEXT)) j
			WHERE m.conversation_id = conversations.id AND m.role = 'customer' AND json_extract(j.value, '$.kind') = 'video');
	UPDATE conversations SET modalities = (text_parts > 0) | ((image_parts > 0) << 1) | ((audio_parts > 0) << 2) | ((video_parts > 0) << 3);
	CREATE INDEX conversations_insights ON conversations (created_at, pack, modalities, status, resolved_at,
		csat_score, handed_off, customer_messages, text_parts, image_parts, audio_parts, video_parts);`

// statsWhere is the selection of a stats query over conversations, with its arguments.
func statsWhere(q store.StatsQuery) (string, []any) {
	where := []string{"1 = 1"}
	var args []any
	if !q.From.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, q.To.UnixNano())
	}
	if q.Tenant != "" {
		where = append(where, "tenant = ?")
		args = append(args, q.Tenant)
	}
	if q.Pack != "" {
		where = append(where, "pack = ?")
		args = append(args, q.Pack)
	}
	return strings.Join(where, " AND "), args
}

// Stats aggregates the selected conversations in one read transaction: the counters from the
// hourly rollup when the range is in whole hours (else grouped by bucket, pack and modality mask
// over the covering index, with counts per status), and the medians of resolution time from the
// resolution index.
func (s *SQLite) Stats(ctx context.Context, q store.StatsQuery) (*store.Stats, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	conn, err := s.read.Conn(ctx)
	if err != nil {
		return nil, wrap(err, "stats")
	}
	defer conn.Close()
	// One read transaction, so the three queries see the same data.
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, wrap(err, "stats")
	}
	defer tx.Rollback()
	where, args := statsWhere(q)
	width := int64(q.Bucket)
	b := store.NewStatsBuilder()
	if err := statsMedians(ctx, tx, b, where, args, width); err != nil {
		return nil, wrap(err, "stats medians")
	}
	if rollupAnswers(q) {
		if err := statsRollup(ctx, tx, b, q); err != nil {
			return nil, wrap(err, "stats rollup")
		}
		return b.Stats(), nil
	}
	if err := statsCounts(ctx, tx, b, where, args, width); err != nil {
		return nil, wrap(err, "stats counts")
	}
	rows, err := tx.QueryContext(ctx, `SELECT status, COUNT(*) FROM conversations WHERE `+where+` GROUP BY status`, args...)
	if err != nil {
		return nil, wrap(err, "stats status")
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, wrap(err, "stats status")
		}
		b.AddStatus(st, n)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "stats status")
	}
	return b.Stats(), nil
}

func statsCounts(ctx context.Context, tx *sql.Tx, b *store.StatsBuilder, where string, args []any, width int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT (created_at / ?) * ? AS b, pack, modalities,
			COUNT(*), COUNT(resolved_at), SUM(handed_off), COUNT(csat_score),
			TOTAL(csat_score), TOTAL(csat_score * csat_score), COUNT(CASE WHEN csat_score >= ? THEN 1 END),
			TOTAL((resolved_at - created_at) / 1e9), TOTAL(((resolved_at - created_at) / 1e9) * ((resolved_at - created_at) / 1e9)),
			SUM(customer_messages), SUM(text_parts), SUM(image_parts), SUM(audio_parts), SUM(video_parts)
		FROM conversations WHERE `+where+` GROUP BY b, pack, modalities`,
		append([]any{width, width, store.SatisfiedScore}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			start      int64
			pack       string
			mask, msgs int
			parts      [4]int
			g          store.Group
		)
		if err := rows.Scan(&start, &pack, &mask, &g.Conversations, &g.Resolved, &g.Handoffs, &g.CSATCount,
			&g.CSATSum, &g.CSATSumSq, &g.Satisfied, &g.ResolutionSum, &g.ResolutionSumSq,
			&msgs, &parts[0], &parts[1], &parts[2], &parts[3]); err != nil {
			return err
		}
		b.AddCounts(fromNanos(start), pack, mask, g, msgs, parts)
	}
	return rows.Err()
}

// resolutionIndexMigration indexes the resolution time of resolved conversations with what the
// median groupings need, so that the stats query reads them already sorted.
const resolutionIndexMigration = `CREATE INDEX conversations_resolution ON conversations
	(resolved_at - created_at, created_at, pack, modalities) WHERE resolved_at IS NOT NULL;`

// hourNanos is an hour in the unit of the time columns.
const hourNanos = int64(time.Hour)

// rollupColumns are insight_hours' counters after its key, and the contribution one conversation
// row (NEW or OLD) makes to each.
var rollupColumns = []struct{ name, expr string }{
	{"conversations", "1"},
	{"resolved", "(%[1]s.resolved_at IS NOT NULL)"},
	{"handoffs", "%[1]s.handed_off"},
	{"csat_count", "(%[1]s.csat_score IS NOT NULL)"},
	{"csat_sum", "COALESCE(%[1]s.csat_score, 0)"},
	{"csat_sumsq", "COALESCE(%[1]s.csat_score * %[1]s.csat_score, 0)"},
	{"satisfied", "(COALESCE(%[1]s.csat_score, 0) >= 4)"},
	{"res_sum", "COALESCE((%[1]s.resolved_at - %[1]s.created_at) / 1e9, 0)"},
	{"res_sumsq", "COALESCE(((%[1]s.resolved_at - %[1]s.created_at) / 1e9) * ((%[1]s.resolved_at - %[1]s.created_at) / 1e9), 0)"},
	{"messages", "%[1]s.customer_messages"},
	{"text_parts", "%[1]s.text_parts"},
	{"image_parts", "%[1]s.image_parts"},
	{"audio_parts", "%[1]s.audio_parts"},
	{"video_parts", "%[1]s.video_parts"},
	{"open_n", "(%[1]s.status = 'open')"},
	{"handoff_n", "(%[1]s.status = 'handoff')"},
	{"resolved_n", "(%[1]s.status = 'resolved')"},
}

// rollupUpsert adds (sign "+") or removes (sign "-") the contribution of row to its hour; with
// tenant, to its tenant's hour.
func rollupUpsert(row, sign string, tenant bool) string {
	var vals, sets []string
	for _, c := range rollupColumns {
		vals = append(vals, sign+"("+strings.ReplaceAll(c.expr, "%[1]s", row)+")")
		sets = append(sets, fmt.Sprintf("%[1]s = %[1]s + excluded.%[1]s", c.name))
	}
	key, keyCols := row+".pack", "pack"
	if tenant {
		key, keyCols = row+".tenant, "+key, "tenant, pack"
	}
	return fmt.Sprintf(`INSERT INTO insight_hours VALUES ((%[1]s.created_at / %[2]d) * %[2]d, %[5]s, %[1]s.modalities, %[3]s)
		ON CONFLICT (hour, %[6]s, modalities) DO UPDATE SET %[4]s;`, row, hourNanos, strings.Join(vals, ", "), strings.Join(sets, ", "), key, keyCols)
}

// rollupMigration keeps insight_hours: the counters of Stats per hour of creation, pack and
// modality mask, maintained by triggers on every write to conversations, so that a stats query
// over a month of 100,000 conversations reads a few thousand rows instead of every conversation.
// A change moves a conversation's contribution: the old row's is taken out, the new one's added.
func rollupMigration() string { return rollupTables(false) }

// tenantRollupMigration keys insight_hours by tenant too, so that a tenant's dashboard reads the
// rollup rather than every conversation, and indexes the resolution times per tenant for the
// medians.
func tenantRollupMigration() string {
	return `DROP TRIGGER insight_hours_insert; DROP TRIGGER insight_hours_update; DROP TRIGGER insight_hours_delete;
	DROP TABLE insight_hours;
	` + rollupTables(true) + `
	CREATE INDEX conversations_resolution_tenant ON conversations
		(tenant, resolved_at - created_at, created_at, pack, modalities) WHERE resolved_at IS NOT NULL;`
}

// rollupTables creates insight_hours, its triggers and its first contents; keyed by tenant too
// when tenant is set.
func rollupTables(tenant bool) string {
	var cols []string
	for _, c := range rollupColumns {
		typ := "INTEGER"
		if strings.HasPrefix(c.name, "res_") || c.name == "csat_sumsq" {
			typ = "REAL"
		}
		cols = append(cols, c.name+" "+typ+" NOT NULL")
	}
	var changed []string
	for _, c := range []string{"status", "resolved_at", "csat_score", "handed_off", "modalities", "customer_messages",
		"text_parts", "image_parts", "audio_parts", "video_parts", "pack", "created_at"} {
		changed = append(changed, fmt.Sprintf("OLD.%[1]s IS NOT NEW.%[1]s", c))
	}
	var totals []string
	for _, c := range rollupColumns {
		totals = append(totals, "TOTAL("+strings.ReplaceAll(c.expr, "%[1]s.", "")+")")
	}
	keyDef, key, keyCols, group := "", "pack", "hour, pack, modalities", "1, 2, 3"
	if tenant {
		changed = append(changed, "OLD.tenant IS NOT NEW.tenant")
		keyDef, key, keyCols, group = "tenant TEXT NOT NULL, ", "tenant, pack", "hour, tenant, pack, modalities", "1, 2, 3, 4"
	}
	return `CREATE TABLE insight_hours (hour INTEGER NOT NULL, ` + keyDef + `pack TEXT NOT NULL, modalities INTEGER NOT NULL, ` +
		strings.Join(cols, ", ") + `, PRIMARY KEY (` + keyCols + `)) WITHOUT ROWID;
	CREATE TRIGGER insight_hours_insert AFTER INSERT ON conversations BEGIN ` + rollupUpsert("NEW", "+", tenant) + ` END;
	CREATE TRIGGER insight_hours_update AFTER UPDATE ON conversations WHEN ` + strings.Join(changed, " OR ") + ` BEGIN ` +
		rollupUpsert("OLD", "-", tenant) + rollupUpsert("NEW", "+", tenant) + ` END;
	CREATE TRIGGER insight_hours_delete AFTER DELETE ON conversations BEGIN ` + rollupUpsert("OLD", "-", tenant) + ` END;
	INSERT INTO insight_hours SELECT (created_at / ` + fmt.Sprint(hourNanos) + `) * ` + fmt.Sprint(hourNanos) + `, ` + key + `, modalities, ` +
		strings.Join(totals, ", ") + ` FROM conversations WHERE TRUE GROUP BY ` + group + `;`
}

// rollupAnswers reports whether insight_hours can answer q: whole hours at both ends of the range
// and buckets of whole hours.
func rollupAnswers(q store.StatsQuery) bool {
	whole := func(t time.Time) bool { return t.IsZero() || t.UnixNano()%hourNanos == 0 }
	return whole(q.From) && whole(q.To) && int64(q.Bucket)%hourNanos == 0
}

// statsRollup reads the counters of q from insight_hours.
func statsRollup(ctx context.Context, tx *sql.Tx, b *store.StatsBuilder, q store.StatsQuery) error {
	where := []string{"1 = 1"}
	args := []any{int64(q.Bucket), int64(q.Bucket)}
	if !q.From.IsZero() {
		where, args = append(where, "hour >= ?"), append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where, args = append(where, "hour < ?"), append(args, q.To.UnixNano())
	}
	if q.Tenant != "" {
		where, args = append(where, "tenant = ?"), append(args, q.Tenant)
	}
	if q.Pack != "" {
		where, args = append(where, "pack = ?"), append(args, q.Pack)
	}
	var sums []string
	for _, c := range rollupColumns {
		sums = append(sums, "TOTAL("+c.name+")")
	}
	rows, err := tx.QueryContext(ctx, `SELECT (hour / ?) * ?, pack, modalities, `+strings.Join(sums, ", ")+`
		FROM insight_hours WHERE `+strings.Join(where, " AND ")+` GROUP BY 1, 2, 3 HAVING TOTAL(conversations) > 0`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			start int64
			pack  string
			mask  int
			v     [17]float64
		)
		dst := []any{&start, &pack, &mask}
		for i := range v {
			dst = append(dst, &v[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return err
		}
		g := store.Group{Conversations: int(v[0]), Resolved: int(v[1]), Handoffs: int(v[2]), CSATCount: int(v[3]),
			CSATSum: v[4], CSATSumSq: v[5], Satisfied: int(v[6]), ResolutionSum: v[7], ResolutionSumSq: v[8]}
		b.AddCounts(fromNanos(start), pack, mask, g, int(v[9]), [4]int{int(v[10]), int(v[11]), int(v[12]), int(v[13])})
		for i, st := range []string{store.StatusOpen, store.StatusHandoff, store.StatusResolved} {
			if n := int(v[14+i]); n > 0 {
				b.AddStatus(st, n)
			}
		}
	}
	return rows.Err()
}

// statsMedians reads the selected resolved conversations in order of resolution time from
// conversations_resolution (no sort) and takes the median of each grouping: SQLite has no
// percentile aggregate, and window functions over 100,000 rows, one pass per grouping, cost ten
// times as much.
func statsMedians(ctx context.Context, tx *sql.Tx, b *store.StatsBuilder, where string, args []any, width int64) error {
	index := "conversations_resolution"
	if strings.Contains(where, "tenant = ?") {
		index = "conversations_resolution_tenant"
	}
	rows, err := tx.QueryContext(ctx, `SELECT created_at, pack, modalities, resolved_at - created_at
		FROM conversations INDEXED BY `+index+`
		WHERE resolved_at IS NOT NULL AND `+where+` ORDER BY resolved_at - created_at`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		m     store.Medians
		packs = map[string]string{} // one string per pack, not one per row
	)
	for rows.Next() {
		var created, d int64
		var raw sql.RawBytes
		var mask int
		if err := rows.Scan(&created, &raw, &mask, &d); err != nil {
			return err
		}
		pack, ok := packs[string(raw)]
		if !ok {
			pack = string(raw)
			packs[pack] = pack
		}
		m.Add(created/width*width, pack, mask, float64(d)/1e9)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	m.Apply(b)
	return nil
}

// Search lists the conversations q selects, newest first. Text matches any message's text with
// LIKE (case-insensitive for ASCII); the listing walks the creation-time index and stops at the
// limit.
func (s *SQLite) Search(ctx context.Context, q store.SearchQuery) ([]store.Found, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	where := []string{"1 = 1"}
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	snippet := `(SELECT text FROM messages m WHERE m.conversation_id = c.id AND m.role = 'customer' AND m.text <> '' ORDER BY seq LIMIT 1)`
	var snipArgs []any
	if q.Text != "" {
		pat := "%" + likeEscape(q.Text) + "%"
		add(`EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.text LIKE ? ESCAPE '\')`, pat)
		snippet = `(SELECT text FROM messages m WHERE m.conversation_id = c.id AND m.text LIKE ? ESCAPE '\' ORDER BY seq LIMIT 1)`
		snipArgs = []any{pat}
	}
	if q.Tenant != "" {
		add("c.tenant = ?", q.Tenant)
	}
	if q.Pack != "" {
		add("c.pack = ?", q.Pack)
	}
	if q.Status != "" {
		add("c.status = ?", q.Status)
	}
	if q.Modalities != 0 {
		add("(c.modalities & ?) = ?", q.Modalities, q.Modalities)
	}
	if !q.From.IsZero() {
		add("c.created_at >= ?", q.From.UnixNano())
	}
	if !q.To.IsZero() {
		add("c.created_at < ?", q.To.UnixNano())
	}
	if !q.Before.IsZero() {
		add("c.created_at < ?", q.Before.UnixNano())
	}
	if q.CSATMin > 0 {
		add("c.csat_score >= ?", q.CSATMin)
	}
	if q.CSATMax > 0 {
		add("c.csat_score <= ?", q.CSATMax)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultSearchLimit
	}
	rows, err := s.read.QueryContext(ctx, `SELECT c.id, c.pack, c.status, c.created_at, c.updated_at, c.resolved_at,
			c.csat_score, c.handed_off, c.modalities, c.customer_messages, COALESCE(`+snippet+`, '')
		FROM conversations c WHERE `+strings.Join(where, " AND ")+` ORDER BY c.created_at DESC, c.id DESC LIMIT ?`,
		append(append(snipArgs, args...), limit)...)
	if err != nil {
		return nil, wrap(err, "search")
	}
	defer rows.Close()
	out := []store.Found{}
	for rows.Next() {
		var (
			f                store.Found
			created, updated int64
			resolved, csat   sql.NullInt64
		)
		if err := rows.Scan(&f.ID, &f.Pack, &f.Status, &created, &updated, &resolved, &csat, &f.Handoff,
			&f.Modalities, &f.Messages, &f.Snippet); err != nil {
			return nil, wrap(err, "search")
		}
		f.CreatedAt, f.UpdatedAt = fromNanos(created), fromNanos(updated)
		if resolved.Valid {
			t := fromNanos(resolved.Int64)
			f.ResolvedAt = &t
		}
		if csat.Valid {
			v := int(csat.Int64)
			f.CSAT = &v
		}
		out = append(out, f)
	}
	return out, wrap(rows.Err(), "search")
}

// likeEscape escapes LIKE's wildcards (and the escape character) in a literal.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
