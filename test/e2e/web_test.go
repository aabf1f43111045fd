package e2e

import (
	"testing"
)

// TestWebChat types a deposit request, checks the reply and the amount slot in the state panel,
// uploads a picture, reopens the conversation on a phone-sized screen and opens the dashboard.
func TestWebChat(t *testing.T) {
	env := newBrowserEnv(t)
	base, _ := startServer(t)
	env.run(t, "chat", base, map[string]string{"IMAGE": testPNG(t)})
}

// TestWebVoiceNote holds the record button while Chromium's fake microphone plays espeak-ng speech.
func TestWebVoiceNote(t *testing.T) {
	env := newBrowserEnv(t)
	base, _ := startServer(t)
	wav, speech := speechWAV(t, "I want to deposit a check")
	env.run(t, "voicenote", base, map[string]string{"FAKE_AUDIO": wav, "SPEECH_SECONDS": seconds(speech)})
}

// TestWebLiveVoice starts a live call: the fake microphone's speech gets a transcript and a spoken
// reply over the WebSocket, then the camera streams frames.
func TestWebLiveVoice(t *testing.T) {
	env := newBrowserEnv(t)
	base, _ := startServer(t)
	wav, speech := speechWAV(t, "I want to deposit a check")
	env.run(t, "live", base, map[string]string{"FAKE_AUDIO": wav, "SPEECH_SECONDS": seconds(speech)})
}
