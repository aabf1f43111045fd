package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/server"
)

// FuzzMessageIntake posts arbitrary bodies with arbitrary content types: the server must answer
// with a 2xx or 4xx, never fail, and refused requests must not add messages.
func FuzzMessageIntake(f *testing.F) {
	f.Add("application/json", []byte(`{"text":"I lost my card"}`))
	f.Add("application/json", []byte(`{bad`))
	f.Add("multipart/form-data; boundary=X", []byte("--X\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhi\r\n--X--\r\n"))
	f.Add("multipart/form-data; boundary=X", []byte("--X\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n\x1a\n\r\n--X--\r\n"))
	f.Add("text/plain", []byte("hello"))
	t := &testing.T{}
	fx := newFixture(t, f.TempDir(), server.Options{})
	id := fx.conversation("bank")
	h := fx.srv.Handler()
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		before := messages(t, h, id)
		req := httptest.NewRequest("POST", "/v1/conversations/"+id+"/messages", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%q %q -> %d %s", ctype, body, w.Code, w.Body)
		}
		if w.Code != http.StatusOK && messages(t, h, id) != before {
			t.Fatalf("refused request (%d) changed the conversation", w.Code)
		}
	})
}

func messages(t *testing.T, h http.Handler, id string) int {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/conversations/"+id, nil))
	return bytes.Count(w.Body.Bytes(), []byte(`"seq":`))
}
