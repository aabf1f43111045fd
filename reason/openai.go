package reason

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// OpenAI asks an OpenAI-compatible /v1/chat/completions endpoint.
type OpenAI struct {
	// BaseURL is the API root, e.g. http://127.0.0.1:8000/v1.
	BaseURL string
	APIKey  string
	Model   string
	System  string
	Client  *http.Client
}

var _ Reasoner = (*OpenAI)(nil)

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
}

type chatResponse struct {
	Choices []struct {
		Message      chatMessage `json:"message"`
		FinishReason string      `json:"finish_reason"`
	} `json:"choices"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Respond sends the conversation to the endpoint and returns the assistant message.
func (o *OpenAI) Respond(ctx context.Context, q Query) (Answer, error) {
	sys := o.System
	if sys == "" {
		sys = "You are a concise, friendly customer-service agent. Answer in at most three sentences."
	}
	msgs := []chatMessage{{Role: "system", Content: sys}}
	for _, t := range q.History {
		role := "user"
		if t.Role != "customer" {
			role = "assistant"
		}
		msgs = append(msgs, chatMessage{Role: role, Content: t.Text})
	}
	msgs = append(msgs, chatMessage{Role: "user", Content: q.Text})
	body, _ := json.Marshal(chatRequest{Model: o.Model, Messages: msgs})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(o.BaseURL, "/")+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return Answer{}, fmt.Errorf("reason: openai: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if o.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.APIKey)
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 20 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("reason: openai: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Answer{}, fmt.Errorf("reason: openai: %w", err)
	}
	var cr chatResponse
	if err := json.Unmarshal(raw, &cr); err != nil {
		return Answer{}, fmt.Errorf("reason: openai: status %d: bad JSON: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg := http.StatusText(resp.StatusCode)
		if cr.Error != nil {
			msg = cr.Error.Message
		}
		return Answer{}, fmt.Errorf("reason: openai: status %d: %s", resp.StatusCode, msg)
	}
	if len(cr.Choices) == 0 || strings.TrimSpace(cr.Choices[0].Message.Content) == "" {
		return Answer{}, ErrNoAnswer
	}
	return Answer{Text: strings.TrimSpace(cr.Choices[0].Message.Content), Confident: true, Score: 1, By: "cloud"}, nil
}
