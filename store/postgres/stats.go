package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/store"
)

var _ store.Insights = (*Postgres)(nil)

// insightsMigration adds the columns the dashboard and explorer aggregate, maintained by the
// database on every write: the CSAT score and whether the conversation was handed off (generated
// from the csat and handoff JSON), and per conversation the number of customer messages, their
// inputs per modality and the modality mask (store.ModText...), kept by a trigger on messages.
const insightsMigration = `
	ALTER TABLE conversations
		ADD COLUMN csat_score integer GENERATED ALWAYS AS ((csat->>'score')::integer) STORED,
		ADD COLUMN handed_off boolean GENERATED ALWAYS AS (handoff IS NOT NULL) STORED,
		ADD COLUMN customer_messages integer NOT NULL DEFAULT 0,
		ADD COLUMN text_parts integer NOT NULL DEFAULT 0,
		ADD COLUMN image_parts integer NOT NULL DEFAULT 0,
		ADD COLUMN audio_parts integer NOT NULL DEFAULT 0,
		ADD COLUMN video_parts integer NOT NULL DEFAULT 0,
		ADD COLUMN modalities integer NOT NULL DEFAULT 0;
	CREATE FUNCTION parley_count_customer_message() RETURNS trigger LANGUAGE plpgsql AS $$
	DECLARE
		img integer; aud integer; vid integer;
	BEGIN
		SELECT count(*) FILTER (WHERE e->>'kind' = 'image'), count(*) FILTER (WHERE e->>'kind' = 'audio'),
			count(*) FILTER (WHERE e->>'kind' = 'video')
		INTO img, aud, vid FROM jsonb_array_elements(COALESCE(NEW.parts, '[]'::jsonb)) AS e;
		UPDATE conversations SET
			customer_messages = customer_messages + 1,
			text_parts = text_parts + (NEW.text <> '')::integer,
			image_parts = image_parts + img, audio_parts = audio_parts + aud, video_parts = video_parts + vid,
			modalities = modalities | (NEW.text <> '')::integer | ((img > 0)::integer << 1)
				| ((aud > 0)::integer << 2) | ((vid > 0)::integer << 3)
		WHERE id = NEW.conversation_id;
		RETURN NULL;
	END $$;
	CREATE TRIGGER messages_insights AFTER INSERT ON messages FOR EACH ROW
		WHEN (NEW.role = 'customer') EXECUTE FUNCTION parley_count_customer_message();
	UPDATE conversations c SET customer_messages = x.n, text_parts = x.t, image_parts = x.i, audio_parts = x.a, video_parts = x.v
	FROM (SELECT m.conversation_id,
			count(DISTINCT m.id) AS n, count(DISTINCT m.id) FILTER (WHERE m.text <> '') AS t,
			count(e) FILTER (WHERE e->>'kind' = 'image') AS i, count(e) FILTER (WHERE e->>'kind' = 'audio') AS a,
			count(e) FILTER (WHERE e->>'kind' = 'video') AS v
		FROM messages m LEFT JOIN LATERAL jsonb_array_elements(COALESCE(m.parts, '[]'::jsonb)) AS e ON TRUE
		WHERE m.role = 'customer' GROUP BY m.conversation_id) x
	WHERE c.id = x.conversation_id;
	UPDATE conversations SET modalities = (text_parts > 0)::integer | ((image_parts > 0)::integer << 1)
		| ((audio_parts > 0)::integer << 2) | ((video_parts > 0)::integer << 3) WHERE customer_messages > 0;
	CREATE INDEX conversations_insights ON conversations (created_at, pack, modalities)
		INCLUDE (status, resolved_at, csat_score, handed_off, customer_messages, text_parts, image_parts, audio_parts, video_parts);`

// where builds a WHERE clause with numbered placeholders from $first.
type where struct {
	conds []string
	args  []any
	first int
}

func (w *where) add(cond string, arg ...any) {
	for _, a := range arg {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", w.first+len(w.args)-1), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// statsWhere selects the conversations of q with placeholders from $first.
func statsWhere(q store.StatsQuery, first int) *where {
	w := &where{first: first}
	if !q.From.IsZero() {
		w.add("created_at >= ?", q.From)
	}
	if !q.To.IsZero() {
		w.add("created_at < ?", q.To)
	}
	if q.Tenant != "" {
		w.add("tenant = ?", q.Tenant)
	}
	if q.Pack != "" {
		w.add("pack = ?", q.Pack)
	}
	return w
}

// bucketSQL is the start of a conversation's bucket in Unix seconds; $1 is the width in seconds.
// date_part is float8 arithmetic; extract is numeric and several times slower over 100,000 rows.
const bucketSQL = `(floor(date_part('epoch', created_at) / $1::bigint)::bigint * $1::bigint)`

// Stats aggregates the selected conversations in one read-only transaction: counts grouped by
// bucket, pack and modality mask; medians of resolution time for every grouping at once
// (percentile_cont over GROUPING SETS); counts per status.
func (p *Postgres) Stats(ctx context.Context, q store.StatsQuery) (*store.Stats, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	w := statsWhere(q, 2) // $1 is the bucket width
	width := int64(q.Bucket / time.Second)
	args := append([]any{width}, w.args...)
	b := store.NewStatsBuilder()
	err := pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+bucketSQL+` AS b, pack, modalities,
				count(*), count(resolved_at), count(*) FILTER (WHERE handed_off), count(csat_score),
				COALESCE(sum(csat_score), 0)::float8, COALESCE(sum(csat_score * csat_score), 0)::float8,
				count(*) FILTER (WHERE csat_score >= `+fmt.Sprint(store.SatisfiedScore)+`),
				COALESCE(sum(date_part('epoch', resolved_at - created_at)), 0),
				COALESCE(sum(date_part('epoch', resolved_at - created_at) ^ 2), 0),
				sum(customer_messages), sum(text_parts), sum(image_parts), sum(audio_parts), sum(video_parts)
			FROM conversations WHERE `+w.String()+` GROUP BY 1, 2, 3`, args...)
		if err != nil {
			return err
		}
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
				rows.Close()
				return err
			}
			b.AddCounts(time.Unix(start, 0), pack, mask, g, msgs, parts)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if err := statsMedians(ctx, tx, b, w, args); err != nil {
			return err
		}
		ws := statsWhere(q, 1)
		rows, err = tx.Query(ctx, `SELECT status, count(*) FROM conversations WHERE `+ws.String()+` GROUP BY status`, ws.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				return err
			}
			b.AddStatus(st, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(err, "stats")
	}
	return b.Stats(), nil
}

// statsMedians reads the selected resolved conversations in order of resolution time and takes
// the median of every grouping in one pass (store.Medians): one sort, where percentile_cont over
// five grouping sets sorts five times.
func statsMedians(ctx context.Context, tx pgx.Tx, b *store.StatsBuilder, w *where, args []any) error {
	rows, err := tx.Query(ctx, `SELECT `+bucketSQL+`, pack, modalities, date_part('epoch', resolved_at - created_at) AS d
		FROM conversations WHERE resolved_at IS NOT NULL AND `+w.String()+` ORDER BY d`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		m     store.Medians
		start int64
		pack  string
		mask  int
		d     float64
	)
	_, err = pgx.ForEachRow(rows, []any{&start, &pack, &mask, &d}, func() error {
		m.Add(start*int64(time.Second), pack, mask, d)
		return nil
	})
	if err != nil {
		return err
	}
	m.Apply(b)
	return nil
}

// Search lists the conversations q selects, newest first; Text matches any message's text with
// ILIKE.
func (p *Postgres) Search(ctx context.Context, q store.SearchQuery) ([]store.Found, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	w := &where{first: 1}
	snippet := `(SELECT text FROM messages m WHERE m.conversation_id = c.id AND m.role = 'customer' AND m.text <> '' ORDER BY seq LIMIT 1)`
	if q.Text != "" {
		w.add(`EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.text ILIKE ? ESCAPE '\')`, "%"+likeEscape(q.Text)+"%")
		snippet = fmt.Sprintf(`(SELECT text FROM messages m WHERE m.conversation_id = c.id AND m.text ILIKE $%d ESCAPE '\' ORDER BY seq LIMIT 1)`, len(w.args))
	}
	if q.Tenant != "" {
		w.add("c.tenant = ?", q.Tenant)
	}
	if q.Pack != "" {
		w.add("c.pack = ?", q.Pack)
	}
	if q.Status != "" {
		w.add("c.status = ?", q.Status)
	}
	if q.Modalities != 0 {
		w.add("(c.modalities & ?) = ?", q.Modalities, q.Modalities)
	}
	if !q.From.IsZero() {
		w.add("c.created_at >= ?", q.From)
	}
	if !q.To.IsZero() {
		w.add("c.created_at < ?", q.To)
	}
	if !q.Before.IsZero() {
		w.add("c.created_at < ?", q.Before)
	}
	if q.CSATMin > 0 {
		w.add("c.csat_score >= ?", q.CSATMin)
	}
	if q.CSATMax > 0 {
		w.add("c.csat_score <= ?", q.CSATMax)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultSearchLimit
	}
	args := append(w.args, limit)
	rows, err := p.pool.Query(ctx, fmt.Sprintf(`SELECT c.id, c.pack, c.status, c.created_at, c.updated_at, c.resolved_at,
			c.csat_score, c.handed_off, c.modalities, c.customer_messages, COALESCE(%s, '')
		FROM conversations c WHERE %s ORDER BY c.created_at DESC, c.id DESC LIMIT $%d`, snippet, w, len(args)), args...)
	if err != nil {
		return nil, wrap(err, "search")
	}
	defer rows.Close()
	out := []store.Found{}
	for rows.Next() {
		var f store.Found
		if err := rows.Scan(&f.ID, &f.Pack, &f.Status, &f.CreatedAt, &f.UpdatedAt, &f.ResolvedAt, &f.CSAT, &f.Handoff,
			&f.Modalities, &f.Messages, &f.Snippet); err != nil {
			return nil, wrap(err, "search")
		}
		f.CreatedAt, f.UpdatedAt = f.CreatedAt.UTC(), f.UpdatedAt.UTC()
		if f.ResolvedAt != nil {
			t := f.ResolvedAt.UTC()
			f.ResolvedAt = &t
		}
		out = append(out, f)
	}
	return out, wrap(rows.Err(), "search")
}

// likeEscape escapes LIKE's wildcards (and the escape character) in a literal.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
