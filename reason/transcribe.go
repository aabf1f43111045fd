package reason

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/openai/openai-go/v3"
)

// Transcribe sends audio to the endpoint's /audio/transcriptions through the SDK and returns the
// text, for open speech the local recogniser cannot follow. model defaults to whisper-1; prompt
// (pack vocabulary) and language ("en") are optional.
func (o *OpenAI) Transcribe(ctx context.Context, audio []byte, filename, contentType, model, language, prompt string) (string, error) {
	if model == "" {
		model = "whisper-1"
	}
	p := openai.AudioTranscriptionNewParams{
		File:  openai.File(bytes.NewReader(audio), filename, contentType),
		Model: openai.AudioModel(model),
	}
	if language != "" {
		p.Language = openai.String(language)
	}
	if prompt != "" {
		p.Prompt = openai.String(Mask(prompt))
	}
	res, err := o.sdk().Audio.Transcriptions.New(ctx, p)
	if err != nil {
		return "", fmt.Errorf("reason: transcription: %w", err)
	}
	text := strings.TrimSpace(res.Text)
	if text == "" {
		return "", ErrNoAnswer
	}
	return text, nil
}
