package redact

import (
	"io"
	"log/slog"
	"testing"
)

func BenchmarkStringClean(b *testing.B) {
	s := "POST /v1/conversations/c_3f0a12345678bd99e0c1aa12/messages answered 200 in 4.2 ms"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		String(s)
	}
}

func BenchmarkStringCard(b *testing.B) {
	s := "I lost my card, the number is 4111 1111 1111 1111 and my account is 123456789012"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		String(s)
	}
}

func BenchmarkHandler(b *testing.B) {
	for _, tc := range []struct {
		name string
		h    slog.Handler
	}{
		{"plain", slog.NewJSONHandler(io.Discard, nil)},
		{"masked", NewHandler(slog.NewJSONHandler(io.Discard, nil))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			log := slog.New(tc.h)
			for b.Loop() {
				log.Info("request", "method", "POST", "path", "/v1/conversations/c_3f0a12345678bd99e0c1aa12/messages", "status", 200, "ms", 4.2, "client", "127.0.0.1", "request_id", "req_4d03cf11386ffe4869b42381")
			}
		})
	}
}
