package reason

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// OpenAI asks an OpenAI-compatible chat-completions endpoint through the official SDK, with the
// pack's tools. What it sends is masked: long numbers keep only their last four digits.
type OpenAI struct {
	// BaseURL is the API root, e.g. http://127.0.0.1:8000/v1.
	BaseURL string
	APIKey  string
	Model   string
	System  string
	// HTTPClient replaces the SDK's default client (tests, proxies).
	HTTPClient *http.Client
	// Stream asks for server-sent chunks and joins them (tool-call arguments included).
	Stream bool
	// Tools, when set, are offered to the model; MaxToolRounds bounds the calls (default 3).
	Tools         *Tools
	MaxToolRounds int

	once   sync.Once
	client openai.Client
}

var _ Reasoner = (*OpenAI)(nil)

func (o *OpenAI) sdk() *openai.Client {
	o.once.Do(func() {
		opts := []option.RequestOption{option.WithBaseURL(strings.TrimSuffix(o.BaseURL, "/") + "/"), option.WithMaxRetries(0)}
		if o.APIKey != "" {
			opts = append(opts, option.WithAPIKey(o.APIKey))
		} else {
			opts = append(opts, option.WithAPIKey("none"))
		}
		if o.HTTPClient != nil {
			opts = append(opts, option.WithHTTPClient(o.HTTPClient))
		}
		o.client = openai.NewClient(opts...)
	})
	return &o.client
}

// messages builds the masked prompt: instructions, evidence, history and the question with its crops.
func (o *OpenAI) messages(q Query) []openai.ChatCompletionMessageParamUnion {
	sys := o.System
	if sys == "" {
		sys = "You are a concise, friendly customer-service agent. Answer in at most three sentences. Use the tools to look things up; never invent account details."
	}
	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(sys)}
	if len(q.Evidence) > 0 {
		var b strings.Builder
		b.WriteString("What the agent has observed in this conversation:\n")
		for _, e := range q.Evidence {
			b.WriteString("- " + Mask(e) + "\n")
		}
		msgs = append(msgs, openai.SystemMessage(b.String()))
	}
	for _, t := range q.History {
		if t.Role == "customer" {
			msgs = append(msgs, openai.UserMessage(Mask(t.Text)))
		} else {
			msgs = append(msgs, openai.AssistantMessage(Mask(t.Text)))
		}
	}
	if len(q.Images) == 0 {
		return append(msgs, openai.UserMessage(Mask(q.Text)))
	}
	parts := []openai.ChatCompletionContentPartUnionParam{openai.TextContentPart(Mask(q.Text))}
	for _, im := range q.Images {
		url := "data:" + im.ContentType + ";base64," + base64.StdEncoding.EncodeToString(im.Data)
		parts = append(parts, openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: url, Detail: "low"}))
	}
	return append(msgs, openai.UserMessage(parts))
}

// Respond sends the conversation to the endpoint, runs the tool calls it asks for, and returns the
// assistant's final message.
func (o *OpenAI) Respond(ctx context.Context, q Query) (Answer, error) {
	params := openai.ChatCompletionNewParams{Model: openai.ChatModel(o.Model), Messages: o.messages(q)}
	if o.Tools != nil {
		params.Tools = o.Tools.definitions()
	}
	rounds := o.MaxToolRounds
	if rounds <= 0 {
		rounds = 3
	}
	var ans Answer
	for round := 0; ; round++ {
		msg, tokens, err := o.complete(ctx, params)
		ans.Tokens += tokens
		if err != nil {
			return ans, fmt.Errorf("reason: openai: %w", err)
		}
		if len(msg.ToolCalls) == 0 || o.Tools == nil {
			text := strings.TrimSpace(msg.Content)
			if text == "" {
				return ans, ErrNoAnswer
			}
			ans.Text, ans.Confident, ans.Score, ans.By = text, true, 1, "cloud"
			return ans, nil
		}
		if round >= rounds {
			return ans, fmt.Errorf("reason: openai: still calling tools after %d rounds", rounds)
		}
		params.Messages = append(params.Messages, msg.ToParam())
		for _, call := range msg.ToolCalls {
			out, act := o.Tools.run(ctx, q.Pack, call.Function.Name, call.Function.Arguments)
			if act != nil {
				ans.Actions = append(ans.Actions, *act)
			}
			params.Messages = append(params.Messages, openai.ToolMessage(Mask(out), call.ID))
		}
	}
}

// complete makes one chat-completions call, streamed or not, and returns the message and tokens.
func (o *OpenAI) complete(ctx context.Context, params openai.ChatCompletionNewParams) (openai.ChatCompletionMessage, int, error) {
	c := o.sdk()
	if !o.Stream {
		resp, err := c.Chat.Completions.New(ctx, params)
		if err != nil {
			return openai.ChatCompletionMessage{}, 0, err
		}
		if len(resp.Choices) == 0 {
			return openai.ChatCompletionMessage{}, int(resp.Usage.TotalTokens), ErrNoAnswer
		}
		return resp.Choices[0].Message, int(resp.Usage.TotalTokens), nil
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := c.Chat.Completions.NewStreaming(ctx, params)
	defer stream.Close()
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		return openai.ChatCompletionMessage{}, 0, err
	}
	if len(acc.Choices) == 0 {
		return openai.ChatCompletionMessage{}, int(acc.Usage.TotalTokens), ErrNoAnswer
	}
	return acc.Choices[0].Message, int(acc.Usage.TotalTokens), nil
}
