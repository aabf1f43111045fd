package e2e

import (
	"slices"
	"testing"

	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/perception/asr"
)

// needStage skips a test whose behaviour depends on a perception stage that could not start here
// (for example a missing speech model), saying why.
func needStage(t *testing.T, s *server.Server, id string) {
	t.Helper()
	if !slices.Contains(s.Stages(), id) {
		t.Skipf("stage %s is not running (%v); install its model (make setup) to run this test", id, s.Skipped[id])
	}
}

// TestWebChat types a deposit request, checks the reply and the amount slot in the state panel,
// uploads a picture and a video clip, turns frustrated and gets slower replies, hands off to a
// person who answers from the agent console, reopens the conversation on a phone-sized screen and opens the dashboard.
func TestWebChat(t *testing.T) {
	env := newBrowserEnv(t)
	base, _ := startWebServer(t)
	env.run(t, "chat", base, map[string]string{"IMAGE": testPNG(t), "VIDEO": testWebM(t)})
}

// TestWebVoiceNote holds the record button while Chromium's fake microphone plays espeak-ng speech.
func TestWebVoiceNote(t *testing.T) {
	env := newBrowserEnv(t)
	base, srv := startWebServer(t)
	needStage(t, srv, asr.StageID)
	wav, speech := speechWAV(t, "I want to deposit a check")
	// The transcript must carry the request; the last word may come out otherwise when the fake
	// device's audio glitches on a loaded machine, so the reply, not the word, proves the intent.
	env.run(t, "voicenote", base, map[string]string{"FAKE_AUDIO": wav, "SPEECH_SECONDS": secondsArg(speech),
		"EXPECT_TRANSCRIPT": `\bdeposit\b`, "EXPECT_REPLY": `photo of the front of the check`})
}

// TestWebLiveVoice starts a live call: the fake microphone's speech gets a transcript and a spoken
// reply over the WebSocket, speaking again stops the reply's playback (barge-in), then the camera
// streams frames.
func TestWebLiveVoice(t *testing.T) {
	env := newBrowserEnv(t)
	base, srv := startWebServer(t)
	needStage(t, srv, asr.StageID)
	wav, speech := speechWAV(t, "I want to deposit a check", "wait, stop please")
	env.run(t, "live", base, map[string]string{"FAKE_AUDIO": wav, "SPEECH_SECONDS": secondsArg(speech)})
}
