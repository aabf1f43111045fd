// Package live serves a conversation's live voice and video mode over a WebSocket: the browser
// streams microphone PCM and camera frames; the server finds utterances (voice activity and
// end-of-utterance detection), turns each into a customer message, and streams the reply and its
// speech back, stopping playback when the customer talks over it (barge-in). A device that finds
// speech itself (the edge WebAssembly) starts with "vad": "edge" and sends only speech segments,
// never silence; its on-device reports ("edge" messages) go to the Turner's EdgeReporter.
package live

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/nn"
	"github.com/parleyhq/parley/perception/vad"
	"github.com/parleyhq/parley/perception/vad/silero"
	"github.com/parleyhq/parley/speech"
)

// Turner runs customer messages through the agent. The server implements it.
type Turner interface {
	// Turn stores and processes a customer message made of items and returns the reply; audio parts keep their bytes in Part.Data.
	Turn(ctx context.Context, conversationID string, items []media.Item) (dialogue.Reply, error)
	// Observe runs perception and fusion on items (camera frames) without producing a reply.
	Observe(ctx context.Context, conversationID string, items []media.Item) error
}

// TurnResult is what a DetailTurner reports about a turn.
type TurnResult struct {
	MessageID string
	Reply     dialogue.Reply
	// State is the conversation state after the turn, sent to the client as is.
	State any
	// Transcript is what perception heard in a spoken message.
	Transcript string
	// Affect, when set, is sent to the client with the reply's style.
	Affect *dialogue.Affect
}

// DetailTurner is optionally implemented by a Turner that can also report the message ID, the
// state and the transcript of a turn; the live stream then forwards them to the client.
type DetailTurner interface {
	TurnDetail(ctx context.Context, conversationID string, items []media.Item) (TurnResult, error)
}

// Endpointer is optionally implemented by a Turner (or set in Options) that can tell from the
// speech so far and what the conversation waits for whether the customer has finished: a whole
// yes or no, a full amount. Such an utterance ends after PauseSilence instead of EndSilence.
// Complete runs in its own goroutine and gets at most PauseSilence to answer.
type Endpointer interface {
	Complete(ctx context.Context, conversationID string, utterance media.PCM) bool
}

// Holder is optionally implemented by an Endpointer that can also tell an utterance is plainly
// unfinished ("one thousand …" when an amount is expected): such an utterance is held open until
// HoldSilence, so a customer who pauses inside an answer is not cut into two messages. It is asked
// only when Complete says no, within the same PauseSilence.
type Holder interface {
	Unfinished(ctx context.Context, conversationID string, utterance media.PCM) bool
}

// EdgeReporter is optionally implemented by a Turner that takes what the device measured itself
// (expression and prosody scores, a small camera thumbnail, bytes counted): the live socket's
// "edge" messages go to it, and its answer (which raw media the server still needs) goes back to
// the device as an "edge" message.
type EdgeReporter interface {
	EdgeReport(ctx context.Context, conversationID string, report json.RawMessage) (any, error)
}

// Options configure the handler. Zero fields take the defaults.
type Options struct {
	// MaxMessageBytes bounds one WebSocket message (default 2 MiB).
	MaxMessageBytes int64
	// EndSilence is the trailing silence that ends an utterance (default 600 ms).
	EndSilence time.Duration
	// PauseSilence is the trailing silence after which an utterance the Endpointer judges
	// complete ends (default 250 ms); it is asked 150 ms earlier, so its answer is ready.
	PauseSilence time.Duration
	// Endpointer, when set, judges utterances complete; by default the Turner, if it is one.
	Endpointer Endpointer
	// HoldSilence is the trailing silence that ends an utterance the Endpointer judges plainly
	// unfinished (default 1.5 s).
	HoldSilence time.Duration
	// MaxUtterance bounds one utterance (default 30 s).
	MaxUtterance time.Duration
	// BargeIn is how much speech the customer must say over a playing reply before it stops
	// (default 400 ms): a cough, a breath or a short "mm-hm" does not stop Parley, and such a
	// short sound that ends while the reply plays is not taken as a message either.
	BargeIn time.Duration
	// VAD chooses how speech is told from noise: "energy" (pure Go), "silero" (the Silero model
	// through ONNX Runtime) or "both" (speech when either hears it). Empty takes "both" when
	// Silero is installed in ModelDir and "energy" otherwise, with a warning saying so; a named
	// kind that cannot load is logged as an error and "energy" is used.
	VAD string
	// ModelDir is where `parley models install` put Silero and ONNX Runtime (default
	// $PARLEY_MODELS, else the user data directory).
	ModelDir string
	// TurnTimeout bounds one turn (default 30 s).
	TurnTimeout time.Duration
	// Synthesizer, when set, speaks replies that come back without an audio part.
	Synthesizer speech.Synthesizer
	// OriginPatterns lists the other origins allowed to connect (same origin is always allowed).
	OriginPatterns []string
	// Logger receives connection errors (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 2 << 20
	}
	if o.EndSilence <= 0 {
		o.EndSilence = 600 * time.Millisecond
	}
	if o.PauseSilence <= 0 {
		o.PauseSilence = 250 * time.Millisecond
	}
	if o.HoldSilence <= 0 {
		o.HoldSilence = 1500 * time.Millisecond
	}
	if o.MaxUtterance <= 0 {
		o.MaxUtterance = 30 * time.Second
	}
	if o.BargeIn <= 0 {
		o.BargeIn = 400 * time.Millisecond
	}
	if o.TurnTimeout <= 0 {
		o.TurnTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ModelDir == "" {
		o.ModelDir = nn.ModelDir()
	}
	return o
}

// classifiers resolves Options.VAD to a factory of per-call classifiers, falling back to the
// energy detector, with a log line, when Silero cannot be used.
func classifiers(o Options) silero.Factory {
	if o.VAD == "" {
		f, kind, err := silero.Default(o.ModelDir, media.SpeechRate)
		if err != nil {
			o.Logger.Warn("live: Silero VAD not available, using the energy detector", "err", err)
		} else {
			o.Logger.Debug("live: voice activity", "vad", kind)
		}
		return f
	}
	f, err := silero.NewFactory(o.VAD, o.ModelDir, media.SpeechRate)
	if err != nil {
		o.Logger.Error("live: the vad setting cannot be used, falling back to the energy detector", "vad", o.VAD, "err", err)
		f, _ = silero.NewFactory(silero.KindEnergy, o.ModelDir, media.SpeechRate)
	}
	return f
}

// maxTextChars bounds a typed message.
const maxTextChars = 4000

// queueDepth bounds the customer messages waiting for a reply.
const queueDepth = 4

// Handler serves GET /v1/conversations/{id}/live; the id comes from r.PathValue("id").
func Handler(t Turner, opts Options) http.Handler {
	opts = opts.withDefaults()
	newClassifier := classifiers(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if id == "" {
			http.Error(w, `{"error":{"code":"bad_request","message":"missing conversation id"}}`, http.StatusBadRequest)
			return
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: opts.OriginPatterns})
		if err != nil {
			return // Accept has written the HTTP error
		}
		c.SetReadLimit(opts.MaxMessageBytes)
		ep := opts.Endpointer
		if e, ok := t.(Endpointer); ok && ep == nil {
			ep = e
		}
		vc := vad.Config{EndSilence: opts.EndSilence, MaxUtterance: opts.MaxUtterance}
		if ep != nil {
			vc.PauseSilence = max(opts.PauseSilence-lookahead, 50*time.Millisecond)
		}
		if cls, err := newClassifier(); err != nil {
			opts.Logger.ErrorContext(r.Context(), "live: voice activity classifier, using the energy detector", "conversation", id, "err", err)
		} else {
			vc.Classifier = cls
		}
		s := &session{t: t, opts: opts, id: id, c: c, rate: media.SpeechRate, ep: ep,
			det:   vad.New(vc),
			turns: make(chan []media.Item, queueDepth), frames: make(chan struct{}, 1)}
		err = s.run(r.Context())
		status := websocket.CloseStatus(err)
		switch {
		case err == nil || status == websocket.StatusNormalClosure || status == websocket.StatusGoingAway:
			c.Close(websocket.StatusNormalClosure, "")
		case errors.Is(err, context.Canceled):
			c.Close(websocket.StatusGoingAway, "server shutting down")
		default:
			if status == -1 {
				opts.Logger.DebugContext(r.Context(), "live: connection ended", "conversation", id, "err", err)
			}
			c.Close(websocket.StatusInternalError, "")
		}
	})
}

// session is one live connection.
type session struct {
	t    Turner
	opts Options
	id   string
	c    *websocket.Conn
	rate int
	det  *vad.Detector
	ep   Endpointer // nil: utterances end after EndSilence only

	judging chan verdict   // the Endpointer's verdict on the current pause; nil when not asked
	judged  []int16        // the utterance up to that pause
	bg      sync.WaitGroup // Endpointer calls in flight

	turns  chan []media.Item
	frames chan struct{} // one camera frame in flight at a time

	// edgeVAD is set when the device detects speech itself (start with "vad": "edge"): each
	// binary message is then one whole speech segment, and silence never comes up.
	edgeVAD bool

	// overlap is set while an utterance that began over a playing reply has not yet held
	// BargeIn of speech: it stops nothing, and is dropped if it ends that short.
	overlap bool

	mu        sync.Mutex
	playUntil time.Time // reply audio is playing until then, unless playback_done arrives
}

type clientMsg struct {
	Type       string `json:"type"`
	SampleRate int    `json:"sample_rate"`
	// VAD is "edge" when the device sends speech segments only, "" (the server finds them) otherwise.
	VAD  string `json:"vad"`
	JPEG string `json:"jpeg"`
	Text string `json:"text"`
	// Report is an "edge" message's on-device report.
	Report json.RawMessage `json:"report"`
}

func (s *session) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stopping := false
	defer func() {
		// On "stop" the replies already asked for are still sent; on a dropped connection or
		// shutdown they are cancelled. Either way no goroutine outlives the connection.
		if !stopping {
			cancel()
		}
		close(s.turns)
		wg.Wait()
		cancel()
		s.bg.Wait()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.turnLoop(ctx)
	}()
	if err := s.send(ctx, map[string]any{"type": "ready"}); err != nil {
		return err
	}
	for {
		typ, data, err := s.c.Read(ctx)
		if err != nil {
			return err
		}
		if typ == websocket.MessageBinary {
			if s.edgeVAD {
				err = s.segment(ctx, data)
			} else {
				err = s.audio(ctx, data)
			}
			if err != nil {
				return err
			}
			continue
		}
		var m clientMsg
		if err := json.Unmarshal(data, &m); err != nil {
			s.sendError(ctx, "messages must be JSON objects with a type")
			continue
		}
		switch m.Type {
		case "start":
			if m.SampleRate != 0 {
				if m.SampleRate < 8000 || m.SampleRate > 96000 {
					s.sendError(ctx, "sample_rate must be between 8000 and 96000")
					continue
				}
				s.rate = m.SampleRate
			}
			switch m.VAD {
			case "":
			case "edge":
				s.edgeVAD = true
			default:
				s.sendError(ctx, fmt.Sprintf("vad %q: want \"edge\" (the device sends speech segments) or nothing", m.VAD))
			}
		case "edge":
			s.edge(ctx, &wg, m.Report)
		case "frame":
			s.frame(ctx, &wg, m.JPEG)
		case "text":
			text := strings.TrimSpace(m.Text)
			if text == "" {
				continue
			}
			if len(text) > maxTextChars {
				text = text[:maxTextChars]
			}
			s.enqueue(ctx, []media.Item{{Part: 0, Kind: media.Text, Modality: media.ModText, Text: text}})
		case "playback_done":
			s.mu.Lock()
			s.playUntil = time.Time{}
			s.mu.Unlock()
		case "stop":
			if ev, ok := s.det.Flush(); ok && !s.edgeVAD {
				s.utterance(ctx, ev)
			}
			stopping = true
			return nil
		default:
			s.sendError(ctx, fmt.Sprintf("unknown message type %q", m.Type))
		}
	}
}

// audio feeds a chunk of 16-bit little-endian PCM to the detector.
func (s *session) audio(ctx context.Context, data []byte) error {
	n := len(data) / 2
	if n == 0 {
		return nil
	}
	var samples []int16
	if s.rate == media.SpeechRate {
		samples = make([]int16, n)
		for i := range samples {
			samples[i] = int16(uint16(data[2*i]) | uint16(data[2*i+1])<<8)
		}
	} else {
		f := make([]float32, n)
		for i := range f {
			f[i] = float32(int16(uint16(data[2*i])|uint16(data[2*i+1])<<8)) / 32768
		}
		samples = media.Resample(f, s.rate, media.SpeechRate)
	}
	for _, ev := range s.det.Write(samples) {
		if ev.Type == vad.SpeechPause {
			s.ask(ctx, ev)
			continue
		}
		s.judging = nil
		switch ev.Type {
		case vad.SpeechStart:
			if err := s.send(ctx, map[string]any{"type": "vad", "speaking": true}); err != nil {
				return err
			}
			s.overlap = s.playing()
		case vad.SpeechEnd:
			if err := s.send(ctx, map[string]any{"type": "vad", "speaking": false}); err != nil {
				return err
			}
			if s.overlap {
				// A short sound over the reply (a cough, "mm-hm") is no message.
				s.overlap = false
				continue
			}
			s.utterance(ctx, ev)
		}
	}
	if s.overlap && s.det.Sure() >= s.opts.BargeIn {
		s.overlap = false
		if err := s.stopPlayback(ctx); err != nil {
			return err
		}
	}
	if s.judging != nil && s.det.Silence() >= s.opts.PauseSilence {
		select {
		case v := <-s.judging:
			s.judging = nil
			if v == unfinished {
				s.det.Hold(s.opts.HoldSilence)
			} else {
				s.det.Hold(0) // an earlier pause's hold lapses once the answer goes on
			}
			if v != whole {
				break // not a whole answer yet: wait for the full trailing silence
			}
			if ev, ok := s.det.End(); ok {
				// The turn gets the very samples judged, so their decode is reused.
				ev.Utterance = s.judged
				if err := s.send(ctx, map[string]any{"type": "vad", "speaking": false}); err != nil {
					return err
				}
				if s.overlap {
					// A whole answer said over the reply ("no") is a barge-in however short.
					s.overlap = false
					if err := s.stopPlayback(ctx); err != nil {
						return err
					}
				}
				s.utterance(ctx, ev)
			}
		default: // still judging; look again with the next chunk
		}
	}
	return nil
}

// lookahead is how long before PauseSilence runs out the Endpointer is asked, so its answer is
// ready when the pause is long enough to end the utterance.
const lookahead = 150 * time.Millisecond

// ask starts judging in the background whether the utterance so far, up to a pause, is a whole
// answer; audio collects the verdict once the pause lasts PauseSilence. A later pause replaces it.
func (s *session) ask(ctx context.Context, ev vad.Event) {
	out := make(chan verdict, 1)
	s.judging, s.judged = out, slices.Clone(ev.Utterance)
	pcm := media.PCM{Samples: s.judged, Rate: media.SpeechRate}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(ctx, s.opts.PauseSilence)
		defer cancel()
		out <- judge(ctx, s.ep, s.id, pcm)
	}()
}

// verdict is what the Endpointer makes of the speech up to a pause.
type verdict int

const (
	unsure     verdict = iota // wait for the full trailing silence
	whole                     // a whole answer: end the utterance now
	unfinished                // plainly unfinished: hold it open until HoldSilence
)

// judge asks ep whether the utterance is a whole answer and, when not and ep is a Holder,
// whether it is plainly unfinished.
func judge(ctx context.Context, ep Endpointer, id string, pcm media.PCM) verdict {
	if ep.Complete(ctx, id, pcm) {
		return whole
	}
	if h, ok := ep.(Holder); ok && h.Unfinished(ctx, id, pcm) {
		return unfinished
	}
	return unsure
}

func (s *session) utterance(ctx context.Context, ev vad.Event) {
	wav := media.EncodeWAV(media.PCM{Samples: ev.Utterance, Rate: media.SpeechRate})
	s.enqueue(ctx, []media.Item{{
		Part: 0, Kind: media.Audio, Modality: media.ModVoice, Data: wav,
		ContentType: "audio/wav", Name: "utterance.wav",
	}})
}

// enqueue hands a message to the turn loop, refusing it when too many are waiting.
func (s *session) enqueue(ctx context.Context, items []media.Item) {
	select {
	case s.turns <- items:
	default:
		s.sendError(ctx, "still answering the previous messages; please wait for the reply")
	}
}

// stopPlayback tells the client to stop the reply that is playing, if one is.
func (s *session) stopPlayback(ctx context.Context) error {
	if !s.playing() {
		return nil
	}
	s.mu.Lock()
	s.playUntil = time.Time{}
	s.mu.Unlock()
	return s.send(ctx, map[string]any{"type": "stop_playback"})
}

func (s *session) playing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.playUntil)
}

// turnLoop answers messages one at a time, in order.
func (s *session) turnLoop(ctx context.Context) {
	for items := range s.turns {
		if ctx.Err() != nil {
			return
		}
		if err := s.turn(ctx, items); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.sendError(ctx, err.Error())
		}
	}
}

func (s *session) turn(ctx context.Context, items []media.Item) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.TurnTimeout)
	defer cancel()
	var res TurnResult
	var err error
	if dt, ok := s.t.(DetailTurner); ok {
		res, err = dt.TurnDetail(ctx, s.id, items)
	} else {
		res.Reply, err = s.t.Turn(ctx, s.id, items)
	}
	if err != nil {
		return fmt.Errorf("could not process the message: %w", err)
	}
	if res.Transcript != "" {
		if err := s.send(ctx, map[string]any{"type": "transcript", "text": res.Transcript, "final": true}); err != nil {
			return err
		}
	}
	audio := firstAudio(res.Reply)
	if audio == nil && s.opts.Synthesizer != nil {
		st := res.Reply.Style
		if wav, err := s.opts.Synthesizer.Synthesize(ctx, res.Reply.Text(), speech.Options{RateWPM: st.RateWPM, PauseMS: st.PauseMS}); err == nil {
			audio = wav
		}
	}
	msg := map[string]any{"type": "reply", "reply": res.Reply}
	if res.MessageID != "" {
		msg["message_id"] = res.MessageID
	}
	if res.State != nil {
		msg["state"] = res.State
	}
	if err := s.send(ctx, msg); err != nil {
		return err
	}
	if len(audio) > 0 {
		d := audioDuration(audio)
		s.mu.Lock()
		s.playUntil = time.Now().Add(d)
		s.mu.Unlock()
		if err := s.c.Write(ctx, websocket.MessageBinary, audio); err != nil {
			return err
		}
	}
	if res.Affect != nil {
		return s.send(ctx, map[string]any{"type": "affect", "affect": map[string]float64{
			"frustration": res.Affect.Frustration, "confusion": res.Affect.Confusion}, "style": res.Reply.Style})
	}
	return nil
}

// firstAudio returns the bytes of the reply's first audio part.
func firstAudio(r dialogue.Reply) []byte {
	for _, p := range r.Parts {
		if p.Type == "audio" && len(p.Data) > 0 {
			return p.Data
		}
	}
	return nil
}

// audioDuration is how long reply audio plays; unknown formats count as ten seconds.
func audioDuration(b []byte) time.Duration {
	if w, err := media.DecodeWAV(b, 0); err == nil && w.Rate > 0 && w.Channels > 0 {
		return time.Duration(len(w.Samples)/w.Channels) * time.Second / time.Duration(w.Rate)
	}
	return 10 * time.Second
}

// frame hands a camera frame to Observe, dropping it when the previous one is still in flight.
func (s *session) frame(ctx context.Context, wg *sync.WaitGroup, b64 string) {
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		s.sendError(ctx, "frame.jpeg must be base64")
		return
	}
	if _, format, err := media.ImageHeader(data, 20_000_000); err != nil || format != "jpeg" {
		s.sendError(ctx, "frame.jpeg is not a JPEG image")
		return
	}
	select {
	case s.frames <- struct{}{}:
	default:
		return // busy: a live camera sends more frames than perception needs
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { <-s.frames }()
		octx, cancel := context.WithTimeout(ctx, s.opts.TurnTimeout)
		defer cancel()
		item := media.Item{Kind: media.Image, Modality: media.ModVideo, Data: data, ContentType: "image/jpeg", Name: "frame.jpg"}
		if err := s.t.Observe(octx, s.id, []media.Item{item}); err != nil && ctx.Err() == nil {
			s.sendError(ctx, "could not look at the camera frame: "+err.Error())
		}
	}()
}

func (s *session) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.c.Write(ctx, websocket.MessageText, b)
}

func (s *session) sendError(ctx context.Context, msg string) {
	_ = s.send(ctx, map[string]any{"type": "error", "message": msg})
}
