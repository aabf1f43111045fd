package asr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"time"
)

// ErrCloud wraps failures of the cloud transcription endpoint.
var ErrCloud = errors.New("asr: cloud transcription failed")

// Cloud calls an OpenAI-compatible POST /v1/audio/transcriptions endpoint.
type Cloud struct {
	// URL is the endpoint's base ("https://api.openai.com/v1") or full transcription URL.
	URL    string
	Model  string
	APIKey string
	Client *http.Client
}

func (c *Cloud) endpoint() string {
	u := strings.TrimRight(c.URL, "/")
	if strings.HasSuffix(u, "/audio/transcriptions") {
		return u
	}
	if !strings.HasSuffix(u, "/v1") {
		u += "/v1"
	}
	return u + "/audio/transcriptions"
}

// Transcribe sends a WAV file and returns the transcribed text.
func (c *Cloud) Transcribe(ctx context.Context, wav []byte) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "speech.wav")
	if err != nil {
		return "", err
	}
	fw.Write(wav)
	model := c.Model
	if model == "" {
		model = "whisper-1"
	}
	mw.WriteField("model", model)
	mw.WriteField("response_format", "json")
	mw.WriteField("language", "en")
	if err := mw.Close(); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(), &body)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCloud, err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	client := c.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCloud, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrCloud, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: status %d: %.200s", ErrCloud, resp.StatusCode, data)
	}
	var out struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return "", fmt.Errorf("%w: %v", ErrCloud, err)
	}
	return out.Text, nil
}
