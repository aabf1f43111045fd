package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/queue"
	"github.com/parleyhq/parley/queue/jetstream"
)

// actionsSubject is the queue subject of actions waiting to be delivered to their webhooks.
const actionsSubject = "actions"

// actionJob is an action on its way to a webhook.
type actionJob struct {
	ConversationID string          `json:"conversation_id"`
	Webhook        string          `json:"webhook"`
	Action         dialogue.Action `json:"action"`
}

// DeadLetterSubject is the queue subject of jobs that failed every try.
const DeadLetterSubject = "dead"

// OpenQueue opens the job queue the config names: in-process by default, NATS JetStream when
// configured, so that workers in other processes share the work.
func OpenQueue(ctx context.Context, c config.Queue) (queue.Queue, error) {
	// Jobs out of tries (an action whose webhook keeps failing, a perception job no worker can
	// do) are kept on the dead-letter subject.
	opts := queue.Options{MaxDeliver: 6, RetryDelay: 500 * time.Millisecond, DeadLetter: DeadLetterSubject}
	switch c.Driver {
	case "", "memory":
		return queue.NewMemory(opts), nil
	case "nats":
		return jetstream.Open(ctx, jetstream.Config{URL: c.URL, AckWait: c.AckWait, Options: opts})
	}
	return nil, fmt.Errorf("server: queue driver %q: want memory or nats", c.Driver)
}

// dispatch queues an action for its webhook; the queue retries failed deliveries.
func (s *Server) dispatch(ctx context.Context, convID string, a dialogue.Action) {
	name, _ := a.Params["webhook"].(string)
	if name == "" || s.cfg.Webhooks[name] == "" {
		return
	}
	job, err := json.Marshal(actionJob{ConversationID: convID, Webhook: name, Action: a})
	if err == nil {
		err = s.queue.Publish(ctx, actionsSubject, job)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "action not queued", "conversation", convID, "action", a.Type, "err", err)
	}
}

// DeliverActions returns the queue handler that posts actions to their webhooks. It runs in the
// server and in `parley worker` processes alike.
func DeliverActions(webhooks map[string]string, post func(ctx context.Context, url string, payload []byte) error, delivered func(actionJob)) queue.Handler {
	if post == nil {
		post = postJSON
	}
	return func(ctx context.Context, data []byte) error {
		var job actionJob
		if err := json.Unmarshal(data, &job); err != nil {
			return nil // a malformed job can never succeed; drop it
		}
		url := webhooks[job.Webhook]
		if url == "" {
			return nil
		}
		payload, _ := json.Marshal(map[string]any{"conversation_id": job.ConversationID, "action": job.Action})
		if err := post(ctx, url, payload); err != nil {
			return fmt.Errorf("webhook %s: %w", job.Webhook, err)
		}
		if delivered != nil {
			delivered(job)
		}
		return nil
	}
}

func (s *Server) subscribeActions(ctx context.Context) error {
	stop, err := s.queue.Subscribe(ctx, actionsSubject, DeliverActions(s.cfg.Webhooks, s.opts.Webhook, func(job actionJob) {
		s.publish(job.ConversationID, dialogue.Event{Type: "action_delivered", Data: map[string]any{"type": job.Action.Type, "webhook": job.Webhook}})
	}))
	if err != nil {
		return err
	}
	s.stopActions = stop
	return nil
}

func postJSON(ctx context.Context, url string, payload []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
