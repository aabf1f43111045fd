package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleyhq/parley/store"
)

var _ store.Notifier = (*Postgres)(nil)

// maxInline is the largest payload sent in the NOTIFY itself (PostgreSQL's limit is 8000 bytes);
// larger ones are stored in the notifications table and only their row ID is sent.
const maxInline = 7000

// refPrefix starts a NOTIFY payload that names a notifications row.
const refPrefix = "@"

// Notify sends payload to every process listening on channel (LISTEN/NOTIFY).
func (p *Postgres) Notify(ctx context.Context, channel string, payload []byte) error {
	if err := p.begin(); err != nil {
		return err
	}
	defer p.end()
	msg := string(payload)
	if len(msg) > maxInline || strings.HasPrefix(msg, refPrefix) {
		var id int64
		err := p.pool.QueryRow(ctx, `WITH gone AS (DELETE FROM notifications WHERE created_at < now() - interval '10 minutes')
			INSERT INTO notifications (payload) VALUES ($1) RETURNING id`, msg).Scan(&id)
		if err != nil {
			return wrap(err, "notify")
		}
		msg = refPrefix + strconv.FormatInt(id, 10)
	}
	_, err := p.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, msg)
	return wrap(err, "notify")
}

// Listen calls fn with every payload sent on channel, from a connection of its own that is
// reopened after a failure (payloads sent while it is down are missed). The first connection is
// made before Listen returns, so nothing sent after it is missed.
func (p *Postgres) Listen(ctx context.Context, channel string, fn func(payload []byte)) (io.Closer, error) {
	if err := p.begin(); err != nil {
		return nil, err
	}
	defer p.end()
	conn, err := p.listen(ctx, channel)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l := &listener{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			err := p.receive(ctx, conn, fn)
			conn.Close(context.Background())
			for ctx.Err() == nil {
				slog.Warn("postgres: event listener reconnecting", "channel", channel, "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
				if conn, err = p.listen(ctx, channel); err == nil {
					break
				}
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()
	return l, nil
}

// listen opens a connection outside the pool and LISTENs on channel.
func (p *Postgres) listen(ctx context.Context, channel string) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, p.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, wrap(err, "listen")
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, wrap(err, "listen")
	}
	return conn, nil
}

// receive hands notifications to fn until the connection fails or ctx ends.
func (p *Postgres) receive(ctx context.Context, conn *pgx.Conn, fn func([]byte)) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		payload := n.Payload
		if id, ok := strings.CutPrefix(payload, refPrefix); ok {
			err := p.pool.QueryRow(ctx, `SELECT payload FROM notifications WHERE id = $1`, id).Scan(&payload)
			if errors.Is(err, pgx.ErrNoRows) {
				continue // expired before it was read
			}
			if err != nil {
				return fmt.Errorf("read notification %s: %w", id, err)
			}
		}
		fn([]byte(payload))
	}
}

// listener is a running Listen.
type listener struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Close stops listening and waits for the listener to end.
func (l *listener) Close() error {
	l.once.Do(l.cancel)
	<-l.done
	return nil
}
