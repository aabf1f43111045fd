package e2e

import (
	"net/http/httptest"
	"testing"
)

// startServer starts a Parley server on a loopback port and returns its base URL.
func startServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(newFakeServer())
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestWebChat types a deposit request, checks the reply and the amount slot in the state panel,
// uploads a picture, reopens the conversation on a phone-sized screen and opens the dashboard.
func TestWebChat(t *testing.T) {
	env := newBrowserEnv(t)
	env.run(t, "chat", startServer(t), map[string]string{"IMAGE": testPNG(t)})
}

// TestWebVoiceNote holds the record button while Chromium's fake microphone plays espeak-ng speech.
func TestWebVoiceNote(t *testing.T) {
	env := newBrowserEnv(t)
	wav, speech := speechWAV(t, "I want to deposit a check")
	env.run(t, "voicenote", startServer(t), map[string]string{"FAKE_AUDIO": wav, "SPEECH_SECONDS": seconds(speech)})
}

// TestWebLiveVoice starts a live call: the fake microphone's speech gets a transcript and a spoken
// reply over the WebSocket, then the camera streams frames.
func TestWebLiveVoice(t *testing.T) {
	env := newBrowserEnv(t)
	wav, speech := speechWAV(t, "I want to deposit a check")
	env.run(t, "live", startServer(t), map[string]string{"FAKE_AUDIO": wav, "SPEECH_SECONDS": seconds(speech)})
}
