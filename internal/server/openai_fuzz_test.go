package server

import (
	"testing"
)

// FuzzChatRequest feeds arbitrary bodies to the chat-completions parser and its content and
// data-URL decoders: they return errors, never panic, and never decode past the limit.
func FuzzChatRequest(f *testing.F) {
	f.Add([]byte(`{"model":"bank","messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{"model":"bank","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}`))
	f.Add([]byte(`{"model":"bank","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRg","format":"wav"}}]}]}`))
	f.Add([]byte(`{"model":"bank","messages":[{"role":"user","content":null}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseChatRequest(body)
		if err != nil {
			return
		}
		ps, err := req.Messages[len(req.Messages)-1].parts()
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.ImageURL != nil {
				if data, _, err := decodeDataURL(p.ImageURL.URL, 64); err == nil && len(data) > 64 {
					t.Fatalf("decoded %d bytes past the limit", len(data))
				}
			}
		}
		_ = countTokens(string(body))
	})
}
