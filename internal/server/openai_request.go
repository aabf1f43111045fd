package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/parleyhq/parley/media"
)

// Sentinel errors of the OpenAI-compatible endpoint; openaiError maps them to statuses.
var (
	// ErrImageURLRefused: an image_url is an http(s) URL whose host the config does not allow.
	ErrImageURLRefused = errors.New("image URLs are not allowed on this server: send the image as a data URL")
	// ErrNoUserMessage: the request's last message is not the customer's.
	ErrNoUserMessage = errors.New("the last message must have the role user")
	// ErrBadPart: a content part is malformed or of an unsupported type.
	ErrBadPart = errors.New("unsupported or malformed content part")
	// ErrUnknownModel: the model names no pack.
	ErrUnknownModel = errors.New("the model does not exist")
)

// chatRequest is the part of a chat-completions request Parley reads; other fields (tools,
// temperature...) are accepted and ignored, since the agent has its own flows and tools.
type chatRequest struct {
	Model         string         `json:"model"`
	Messages      []chatMessage  `json:"messages"`
	Stream        bool           `json:"stream"`
	StreamOptions *streamOptions `json:"stream_options,omitempty"`
	User          string         `json:"user,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// chatMessage is one message; Content is a string or a list of parts.
type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// contentPart is one element of a message's content list.
type contentPart struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	ImageURL *struct {
		URL    string `json:"url"`
		Detail string `json:"detail,omitempty"`
	} `json:"image_url,omitempty"`
	InputAudio *struct {
		Data   string `json:"data"`
		Format string `json:"format"`
	} `json:"input_audio,omitempty"`
}

// parseChatRequest decodes and checks a chat-completions body.
func parseChatRequest(body []byte) (chatRequest, error) {
	var req chatRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return req, errorf(http.StatusBadRequest, "malformed_json", "the request body is not valid JSON: "+err.Error())
	}
	if dec.More() {
		return req, errorf(http.StatusBadRequest, "malformed_json", "the request body holds more than one JSON value")
	}
	if req.Model == "" {
		return req, errorf(http.StatusBadRequest, "missing_model", "model is required: use a pack name from GET /v1/models")
	}
	if len(req.Messages) == 0 {
		return req, errorf(http.StatusBadRequest, "missing_messages", "messages must not be empty")
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool":
		default:
			return req, errorf(http.StatusBadRequest, "invalid_role", fmt.Sprintf("messages[%d].role %q: want system, developer, user, assistant or tool", i, m.Role))
		}
	}
	if req.Messages[len(req.Messages)-1].Role != "user" {
		return req, ErrNoUserMessage
	}
	return req, nil
}

// parts returns a message's content as parts: a plain string becomes one text part.
func (m chatMessage) parts() ([]contentPart, error) {
	c := bytes.TrimSpace(m.Content)
	if len(c) == 0 || bytes.Equal(c, []byte("null")) {
		return nil, nil
	}
	if c[0] == '"' {
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return nil, fmt.Errorf("%w: content: %v", ErrBadPart, err)
		}
		return []contentPart{{Type: "text", Text: s}}, nil
	}
	var ps []contentPart
	if err := json.Unmarshal(c, &ps); err != nil {
		return nil, fmt.Errorf("%w: content must be a string or a list of parts: %v", ErrBadPart, err)
	}
	return ps, nil
}

// decodeDataURL returns the bytes and media type of a base64 data URL.
func decodeDataURL(u string, limit int64) ([]byte, string, error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return nil, "", fmt.Errorf("%w: not a data URL", ErrBadPart)
	}
	meta, payload, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return nil, "", fmt.Errorf("%w: a data URL must be base64 encoded (data:image/png;base64,...)", ErrBadPart)
	}
	if int64(base64.StdEncoding.DecodedLen(len(payload))) > limit+3 {
		return nil, "", fmt.Errorf("%w: the data URL is larger than %d bytes", media.ErrTooLarge, limit)
	}
	data, err := decodeBase64(payload)
	if err != nil {
		return nil, "", fmt.Errorf("%w: data URL: %v", ErrBadPart, err)
	}
	if int64(len(data)) > limit {
		return nil, "", fmt.Errorf("%w: the data URL is larger than %d bytes", media.ErrTooLarge, limit)
	}
	return data, strings.TrimSuffix(meta, ";base64"), nil
}

// decodeBase64 accepts padded and unpadded standard base64.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	if data, err := base64.StdEncoding.DecodeString(s); err == nil {
		return data, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// audioTypes maps input_audio formats to content types.
var audioTypes = map[string]string{"wav": "audio/wav", "mp3": "audio/mpeg"}

// chatItems turns the last user message into the items of one Parley turn: its text, its images
// (data URLs, or http(s) URLs from allowed hosts) and its audio.
func (s *Server) chatItems(ctx context.Context, m chatMessage) ([]media.Item, error) {
	ps, err := m.parts()
	if err != nil {
		return nil, err
	}
	var items []media.Item
	var text []string
	for i, p := range ps {
		switch p.Type {
		case "text":
			text = append(text, p.Text)
		case "image_url":
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return nil, fmt.Errorf("%w: content[%d]: image_url.url is required", ErrBadPart, i)
			}
			data, err := s.imageBytes(ctx, p.ImageURL.URL)
			if err != nil {
				return nil, err
			}
			_, format, err := media.ImageHeader(data, s.cfg.Limits.MaxPixels)
			if err != nil {
				return nil, err
			}
			items = append(items, media.Item{Kind: media.Image, Modality: media.ModImage, Data: data, ContentType: "image/" + format})
		case "input_audio":
			if p.InputAudio == nil {
				return nil, fmt.Errorf("%w: content[%d]: input_audio is required", ErrBadPart, i)
			}
			ct, ok := audioTypes[p.InputAudio.Format]
			if !ok {
				return nil, fmt.Errorf("%w: content[%d]: input_audio.format %q: want wav or mp3", ErrBadPart, i, p.InputAudio.Format)
			}
			if int64(base64.StdEncoding.DecodedLen(len(p.InputAudio.Data))) > s.cfg.Limits.AudioBytes+3 {
				return nil, fmt.Errorf("%w: the audio is larger than %d bytes", media.ErrTooLarge, s.cfg.Limits.AudioBytes)
			}
			data, err := decodeBase64(p.InputAudio.Data)
			if err != nil || len(data) == 0 {
				return nil, fmt.Errorf("%w: content[%d]: input_audio.data is not base64 audio", ErrBadPart, i)
			}
			items = append(items, media.Item{Kind: media.Audio, Modality: media.ModVoice, Data: data, ContentType: ct, Name: "audio." + p.InputAudio.Format})
		default:
			return nil, fmt.Errorf("%w: content[%d].type %q: want text, image_url or input_audio", ErrBadPart, i, p.Type)
		}
	}
	if t := strings.TrimSpace(strings.Join(text, "\n")); t != "" {
		items = append([]media.Item{{Kind: media.Text, Modality: media.ModText, Text: t}}, items...)
	}
	if len(items) == 0 {
		return nil, errorf(http.StatusBadRequest, "empty_message", "the last user message needs text, an image or audio")
	}
	return items, nil
}

// imageBytes reads an image_url: a data URL, or an http(s) URL on a host the config allows.
func (s *Server) imageBytes(ctx context.Context, raw string) ([]byte, error) {
	limit := s.cfg.Limits.ImageBytes
	if strings.HasPrefix(raw, "data:") {
		data, _, err := decodeDataURL(raw, limit)
		return data, err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: image_url.url must be a data URL or an http(s) URL", ErrBadPart)
	}
	if !slices.Contains(s.cfg.OpenAI.ImageURLHosts, u.Hostname()) {
		return nil, ErrImageURLRefused
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPart, err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "image_fetch_failed", "the image URL could not be fetched: "+err.Error())
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errorf(http.StatusBadRequest, "image_fetch_failed", fmt.Sprintf("the image URL answered %s", resp.Status))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "image_fetch_failed", "the image URL could not be read: "+err.Error())
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: the image is larger than %d bytes", media.ErrTooLarge, limit)
	}
	return data, nil
}

// countTokens estimates tokens as words and punctuation marks: a fixed, documented rule, so
// usage figures are reproducible without a model's tokenizer.
func countTokens(s string) int {
	n, inWord := 0, false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				n++
			}
			inWord = true
		case unicode.IsSpace(r):
			inWord = false
		default:
			n++
			inWord = false
		}
	}
	return n
}

// imageTokens is what one image counts in usage (OpenAI's figure for a low-detail image).
const imageTokens = 85
