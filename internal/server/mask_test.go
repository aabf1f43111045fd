package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestMaskLines(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"json body", `{"id":"c_0123456789abcdef","text":"card 4111 1111 1111 1111","created_at":"2026-12-02T01:05:22.123456789Z","version":123456789}` + "\n",
			`{"created_at":"2026-12-02T01:05:22.123456789Z","id":"c_0123456789abcdef","text":"card ••••1111","version":123456789}` + "\n"},
		{"event", "event: message\ndata: {\"text\":\"acct 123456789012\"}\n\n", "event: message\ndata: {\"text\":\"acct ••••9012\"}\n\n"},
		{"not json", "<p>4111 1111 1111 1111</p>\n", "<p>4111 1111 1111 1111</p>\n"},
		{"urls kept", `{"urls":{"h":"/v1/blobs/0123456789012345678901234567890123456789012345678901234567890123"}}` + "\n",
			`{"urls":{"h":"/v1/blobs/0123456789012345678901234567890123456789012345678901234567890123"}}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(maskLines([]byte(tc.in))); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// FuzzMaskLines feeds arbitrary response bytes to the masking of agents' responses: it must not
// panic, must keep every line break, and must leave valid JSON valid.
func FuzzMaskLines(f *testing.F) {
	for _, s := range []string{`{"text":"4111 1111 1111 1111"}` + "\n", "data: [1,\"123456789012\"]\n\n", "{\"a\":", "\n\n\r\n", `[{"id":"1234567890"},null,1e400]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := maskLines(in)
		if bytes.Count(out, []byte("\n")) != bytes.Count(in, []byte("\n")) {
			t.Fatalf("line breaks changed: %q -> %q", in, out)
		}
		for _, line := range strings.Split(string(in), "\n") {
			body := strings.TrimPrefix(strings.TrimRight(line, "\r"), "data: ")
			if json.Valid([]byte(body)) && (strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[")) {
				m, ok := maskJSON([]byte(body))
				if ok && !json.Valid(m) {
					t.Fatalf("masking made invalid JSON of %q: %q", body, m)
				}
			}
		}
	})
}
