package asr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// ErrCloud wraps failures of the cloud transcription endpoint.
var ErrCloud = errors.New("asr: cloud transcription failed")

// cloudTimeout bounds one transcription when no Client is given.
const cloudTimeout = 30 * time.Second

// Cloud calls an OpenAI-compatible POST /v1/audio/transcriptions endpoint through the official
// OpenAI Go SDK. Only its own settings reach the request: the SDK's OPENAI_* environment
// variables (key, organisation, project) are not sent to the endpoint.
type Cloud struct {
	// URL is the endpoint's base ("https://api.openai.com/v1") or full transcription URL.
	URL    string
	Model  string // default whisper-1
	APIKey string // sent as a Bearer token when set
	// Client replaces the default HTTP client, which gives up after 30 s.
	Client *http.Client

	once   sync.Once
	client openai.Client
}

// baseURL returns the API base the SDK appends "audio/transcriptions" to.
func (c *Cloud) baseURL() string {
	u := strings.TrimSuffix(strings.TrimRight(c.URL, "/"), "/audio/transcriptions")
	if !strings.HasSuffix(u, "/v1") {
		u += "/v1"
	}
	return u + "/"
}

func (c *Cloud) sdk() *openai.Client {
	c.once.Do(func() {
		opts := []option.RequestOption{
			option.WithBaseURL(c.baseURL()),
			option.WithAPIKey(c.APIKey), // empty: no Authorization header, whatever OPENAI_API_KEY says
			option.WithHeaderDel("OpenAI-Organization"),
			option.WithHeaderDel("OpenAI-Project"),
			option.WithMaxRetries(0), // a slow or failing cloud must not hold up the turn
		}
		if c.Client != nil {
			opts = append(opts, option.WithHTTPClient(c.Client))
		} else {
			opts = append(opts, option.WithRequestTimeout(cloudTimeout))
		}
		c.client = openai.NewClient(opts...)
	})
	return &c.client
}

// Transcribe sends a WAV file and returns the transcribed text.
func (c *Cloud) Transcribe(ctx context.Context, wav []byte) (string, error) {
	model := c.Model
	if model == "" {
		model = "whisper-1"
	}
	// The body is taken as bytes and decoded here, so a compatible server that labels its JSON
	// text/plain still works.
	var raw []byte
	_, err := c.sdk().Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
		File:           openai.File(bytes.NewReader(wav), "speech.wav", "audio/wav"),
		Model:          openai.AudioModel(model),
		ResponseFormat: openai.AudioResponseFormatJSON,
		Language:       openai.String("en"),
	}, option.WithResponseBodyInto(&raw))
	if err != nil {
		var apiErr *openai.Error
		if errors.As(err, &apiErr) {
			detail := strings.TrimSpace(apiErr.RawJSON())
			if detail == "" {
				detail = apiErr.Error()
			}
			return "", fmt.Errorf("%w: status %d: %.200s", ErrCloud, apiErr.StatusCode, detail)
		}
		return "", fmt.Errorf("%w: %v", ErrCloud, err)
	}
	var res openai.Transcription
	if err := json.Unmarshal(raw, &res); err != nil {
		return "", fmt.Errorf("%w: %v: %.200s", ErrCloud, err, raw)
	}
	return res.Text, nil
}
