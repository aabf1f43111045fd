package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/reason"
	"github.com/parleyhq/parley/store"
)

const maxTextBytes = 64 << 10

// upload is one file part of a message, already stored as a blob.
type upload struct {
	ref  store.BlobRef
	kind media.Kind
}

// messageResponse is the body of a successful POST .../messages.
type messageResponse struct {
	MessageID string          `json:"message_id"`
	Reply     dialogue.Reply  `json:"reply"`
	State     json.RawMessage `json:"state"`
	// heard is what perception heard in the message's audio, for the live stream.
	heard string
}

func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	cv, err := s.load(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	text, uploads, err := s.readMessage(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(text) == "" && len(uploads) == 0 {
		s.fail(w, r, errorf(http.StatusBadRequest, "empty_message", "a message needs text or at least one image, audio or video part"))
		return
	}
	msg := &store.Message{
		ID: newID("m_"), ConversationID: cv.c.ID, Role: store.RoleCustomer, Text: text,
		IdempotencyKey: r.Header.Get("Idempotency-Key"), CreatedAt: s.now(),
	}
	for _, u := range uploads {
		msg.Parts = append(msg.Parts, u.ref)
	}
	resp, err := s.deliver(r.Context(), cv, msg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.turn.Observe(time.Since(start).Seconds())
	writeJSON(w, http.StatusOK, resp)
}

// deliver stores a customer message durably and then runs its turn. A retried message (same
// Idempotency-Key) gets the stored reply instead of a second turn.
func (s *Server) deliver(ctx context.Context, cv *conv, msg *store.Message) (*messageResponse, error) {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	cv.settle()
	stored, err := s.store.AddMessage(ctx, msg)
	if errors.Is(err, store.ErrDuplicate) && stored != nil {
		if len(stored.Reply) > 0 {
			var reply dialogue.Reply
			if err := json.Unmarshal(stored.Reply, &reply); err != nil {
				return nil, err
			}
			return &messageResponse{MessageID: stored.ID, Reply: reply, State: cv.c.State}, nil
		}
		msg = stored
	} else if err != nil {
		return nil, err
	} else {
		msg = stored
	}
	s.hub.publish(cv.c.ID, dialogue.Event{Type: "message", Data: map[string]any{"message_id": msg.ID, "text": msg.Text, "parts": msg.Parts}})
	items, unread, err := s.items(ctx, msg)
	if err != nil {
		return nil, err
	}
	reply, obs, err := s.turn(ctx, cv, msg, items, unread...)
	if err != nil {
		return nil, err
	}
	return &messageResponse{MessageID: msg.ID, Reply: reply, State: cv.c.State, heard: transcript(obs)}, nil
}

// readMessage parses a JSON or multipart message, storing each file part as a blob within its limit.
func (s *Server) readMessage(w http.ResponseWriter, r *http.Request) (string, []upload, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return "", nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "unreadable Content-Type")
	}
	switch ct {
	case "application/json", "":
		var req struct {
			Text string `json:"text"`
		}
		if err := decodeJSON(w, r, &req, false); err != nil {
			return "", nil, err
		}
		return req.Text, nil, nil
	case "multipart/form-data":
		return s.readMultipart(w, r)
	}
	return "", nil, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
		fmt.Sprintf("Content-Type %s is not supported: send application/json or multipart/form-data", ct))
}

func (s *Server) readMultipart(w http.ResponseWriter, r *http.Request) (string, []upload, error) {
	l := s.cfg.Limits
	r.Body = http.MaxBytesReader(w, r.Body, l.VideoBytes+l.AudioBytes+l.ImageBytes+maxTextBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, errorf(http.StatusBadRequest, "malformed_multipart", err.Error())
	}
	var text string
	var uploads []upload
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", nil, err
			}
			return "", nil, errorf(http.StatusBadRequest, "malformed_multipart", err.Error())
		}
		name := p.FormName()
		switch name {
		case "text":
			b, err := io.ReadAll(io.LimitReader(p, maxTextBytes+1))
			if err != nil {
				return "", nil, errorf(http.StatusBadRequest, "malformed_multipart", err.Error())
			}
			if len(b) > maxTextBytes {
				return "", nil, errorf(http.StatusRequestEntityTooLarge, "too_large", "text is longer than 64 KiB")
			}
			text = string(b)
		case "image", "audio", "video":
			u, err := s.storeUpload(r.Context(), p, media.Kind(name), p.FileName(), p.Header.Get("Content-Type"))
			if err != nil {
				return "", nil, err
			}
			uploads = append(uploads, u)
		default:
			return "", nil, errorf(http.StatusBadRequest, "unknown_part", fmt.Sprintf("unknown form field %q: use text, image, audio or video", name))
		}
		p.Close()
	}
	return text, uploads, nil
}

// storeUpload stores one file part and checks that it is what its field says it is.
func (s *Server) storeUpload(ctx context.Context, r io.Reader, kind media.Kind, filename, declared string) (upload, error) {
	limit := s.cfg.Limits.MaxBytes(kind)
	ref, err := s.blobs.Put(ctx, r, limit)
	if errors.Is(err, store.ErrTooLarge) {
		return upload{}, errorf(http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("the %s is larger than the limit of %d MB", kind, limit>>20))
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return upload{}, err
		}
		return upload{}, fmt.Errorf("server: storing %s: %w", kind, err)
	}
	if ref.Size == 0 {
		return upload{}, errorf(http.StatusBadRequest, "empty_part", fmt.Sprintf("the %s part is empty", kind))
	}
	head, err := s.blobHead(ctx, ref.Hash, 1<<16)
	if err != nil {
		return upload{}, err
	}
	sniffed := http.DetectContentType(head)
	switch kind {
	case media.Image:
		if _, format, err := media.ImageHeader(head, s.cfg.Limits.MaxPixels); err != nil {
			if errors.Is(err, media.ErrCorrupt) && len(head) == 1<<16 {
				// A header larger than what was read: check the whole file.
				full, ferr := s.blobBytes(ctx, ref.Hash)
				if ferr != nil {
					return upload{}, ferr
				}
				if _, format, err = media.ImageHeader(full, s.cfg.Limits.MaxPixels); err == nil {
					ref.ContentType = "image/" + format
					break
				}
			}
			return upload{}, err
		} else {
			ref.ContentType = "image/" + format
		}
	case media.Audio, media.Video:
		if strings.HasPrefix(sniffed, "image/") || strings.HasPrefix(sniffed, "text/") {
			return upload{}, errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
				fmt.Sprintf("the %s part looks like %s", kind, sniffed))
		}
		ref.ContentType = declared
		if ref.ContentType == "" || ref.ContentType == "application/octet-stream" {
			ref.ContentType = sniffed
		}
	}
	ref.Kind, ref.Name = string(kind), filename
	return upload{ref: ref, kind: kind}, nil
}

func (s *Server) blobHead(ctx context.Context, hash string, n int64) ([]byte, error) {
	rc, err := s.blobs.Open(ctx, hash)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, n))
}

func (s *Server) blobBytes(ctx context.Context, hash string) ([]byte, error) {
	rc, err := s.blobs.Open(ctx, hash)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// items turns a stored message into perception items; videos become frames and an audio track.
// A video that cannot be expanded (corrupt, unsupported, too long) stays one item and its error is
// returned among unread, so the reply can say so.
func (s *Server) items(ctx context.Context, msg *store.Message) (items []media.Item, unread []error, err error) {
	if strings.TrimSpace(msg.Text) != "" {
		items = append(items, media.Item{MessageID: msg.ID, Kind: media.Text, Modality: media.ModText, Text: msg.Text})
	}
	for i, p := range msg.Parts {
		data, err := s.blobBytes(ctx, p.Hash)
		if err != nil {
			return nil, nil, err
		}
		it := media.Item{MessageID: msg.ID, Part: i + 1, Kind: media.Kind(p.Kind), Data: data, ContentType: p.ContentType, Name: p.Name}
		switch it.Kind {
		case media.Image:
			it.Modality = media.ModImage
		case media.Audio:
			it.Modality = media.ModVoice
		case media.Video:
			it.Modality = media.ModVideo
			if s.video != nil {
				expanded, err := s.video(ctx, it, s.cfg.Limits, s.cfg.VideoFPS)
				if err == nil {
					items = append(items, expanded...)
					continue
				}
				s.log.Info("video not expanded", "message", msg.ID, "err", err)
				unread = append(unread, &perception.StageError{Stage: "video", Part: it.Part, Err: err})
			}
		}
		items = append(items, it)
	}
	return items, unread, nil
}

// turn runs perception and the dialogue on a stored message and stores the reply; the caller
// holds cv.mu.
func (s *Server) turn(ctx context.Context, cv *conv, msg *store.Message, items []media.Item, unread ...error) (dialogue.Reply, []perception.Observation, error) {
	ctx = reason.WithConversation(ctx, cv.c.ID)
	if s.cfg.TurnTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.TurnTimeout)
		defer cancel()
	}
	for _, it := range items {
		s.metrics.parts.WithLabelValues(string(it.Kind)).Inc()
	}
	statusBefore := cv.c.Status
	obs, errs := s.pipeline.Run(ctx, items, s.engine.Expectation(cv.state))
	errs = append(errs, unread...)
	if err := s.storeAttachments(ctx, obs); err != nil {
		return dialogue.Reply{}, nil, err
	}
	var out dialogue.Outcome
	if cv.c.Status == store.StatusHandoff {
		evs := s.engine.Observe(cv.state, obs)
		out = dialogue.Outcome{Events: evs, Reply: dialogue.Reply{
			Parts: []dialogue.Part{{Type: "text", Text: "Thanks — a person from our team will answer you here shortly."}},
			Style: dialogue.StyleFor(cv.state.Affect, 0, s.now()),
		}}
	} else {
		var err error
		out, err = s.engine.Turn(ctx, cv.state, dialogue.Input{MessageID: msg.ID, Text: msg.Text, Kinds: kinds(items), Modalities: modalities(items), Observations: obs})
		if err != nil {
			return dialogue.Reply{}, nil, err
		}
	}
	if note := problems(items, obs, errs); note != "" {
		out.Reply.Parts = append([]dialogue.Part{{Type: "text", Text: note}}, out.Reply.Parts...)
	}
	for _, e := range errs {
		s.log.Info("perception stage failed", "message", msg.ID, "err", e)
	}
	if err := s.storeParts(ctx, out.Reply.Parts); err != nil {
		return dialogue.Reply{}, nil, err
	}
	for i := range out.Reply.Parts {
		// the order page places the order for this conversation
		if p := &out.Reply.Parts[i]; p.Type == "link" && strings.HasPrefix(p.URL, "/order.html?") {
			p.URL += "&conversation=" + cv.c.ID
		}
	}
	if s.wantsSpeech(items) {
		if p, err := s.speak(ctx, out.Reply); err != nil {
			s.log.Warn("speech synthesis failed", "err", err)
		} else {
			out.Reply.Parts = append(out.Reply.Parts, p)
		}
	}
	if out.Handoff != nil {
		s.startHandoff(cv, out.Handoff)
	}
	if cv.state.Resolved && cv.c.ResolvedAt == nil {
		now := s.now()
		cv.c.ResolvedAt = &now
		if cv.c.Status == store.StatusOpen {
			cv.c.Status = store.StatusResolved
		}
		s.metrics.resolutions.Inc()
		s.metrics.resolution.WithLabelValues(cv.c.Pack).Observe(now.Sub(cv.c.CreatedAt).Seconds())
	} else if !cv.state.Resolved && cv.c.Status == store.StatusResolved {
		cv.c.Status = store.StatusOpen
		cv.c.ResolvedAt = nil
	}
	s.metrics.turns.WithLabelValues(cv.c.Pack).Inc()
	for _, o := range obs {
		if o.Kind == perception.KindCheck {
			if cv.documents == nil {
				cv.documents = map[string]perception.Observation{}
			}
			cv.documents[o.Kind] = o
		}
	}
	for _, a := range out.Actions {
		if tm, ok := a.Params["timings_ms"].(map[string]float64); ok && a.Type == "diagnosis" {
			for name, ms := range tm {
				s.metrics.output.WithLabelValues(cv.c.Pack, name).Observe(ms / 1000)
			}
		}
		s.dispatch(ctx, cv.c.ID, a)
		s.record(ctx, cv, a)
	}
	replyJSON, err := json.Marshal(out.Reply)
	if err != nil {
		return dialogue.Reply{}, nil, err
	}
	obsJSON, err := json.Marshal(obs)
	if err != nil {
		return dialogue.Reply{}, nil, err
	}
	// The customer's message is already on disk; the reply and the new state follow in the
	// background, together in one group commit, and the next turn of this conversation waits for
	// them. A crash in between loses a reply that can be recomputed from the stored message.
	snap, err := s.snapshot(cv)
	if err != nil {
		return dialogue.Reply{}, nil, err
	}
	done := make(chan struct{})
	cv.written = done
	s.writes.Add(1)
	go func() {
		defer s.writes.Done()
		defer close(done)
		wctx := context.WithoutCancel(ctx)
		replyErr := make(chan error, 1)
		go func() { replyErr <- s.store.SetReply(wctx, snap.ID, msg.ID, replyJSON, obsJSON) }()
		if err := errors.Join(s.store.UpdateConversation(wctx, snap), <-replyErr); err != nil {
			s.log.Error("reply or state not stored", "conversation", snap.ID, "message", msg.ID, "err", err)
		}
	}()
	if cv.c.Status != statusBefore {
		<-done // queues and statistics read the status from the store
	}
	s.hub.publish(cv.c.ID, out.Events...)
	s.hub.publish(cv.c.ID, dialogue.Event{Type: "state", Data: cv.c.State})
	return out.Reply, obs, nil
}

// record tells the stages that keep records (the check stage's deposited checks) about an action.
func (s *Server) record(ctx context.Context, cv *conv, a dialogue.Action) {
	for _, o := range cv.documents {
		for _, st := range s.pipeline.Stages() {
			if r, ok := st.(perception.Recorder); ok && st.Name() == o.Source.Stage {
				if err := r.Record(ctx, a.Type, o, cv.c.ID); err != nil {
					s.log.Warn("record not kept", "stage", st.Name(), "action", a.Type, "err", err)
				}
			}
		}
	}
}

// transcript joins what the speech stages heard.
func transcript(obs []perception.Observation) string {
	var parts []string
	for _, o := range obs {
		if t, ok := o.Value.(string); ok && o.Kind == perception.KindTranscript {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

func modalities(items []media.Item) []media.Modality {
	ms := make([]media.Modality, 0, len(items))
	for _, it := range items {
		ms = append(ms, it.Modality)
	}
	return ms
}

func kinds(items []media.Item) []media.Kind {
	var ks []media.Kind
	for _, it := range items {
		ks = append(ks, it.Kind)
	}
	return ks
}

// problems explains, in the customer's words, a part that perception could not use.
func problems(items []media.Item, obs []perception.Observation, errs []error) string {
	used := map[int]bool{}
	for _, o := range obs {
		used[o.Source.Part] = true
	}
	for _, e := range errs {
		var se *perception.StageError
		if !errors.As(e, &se) || used[se.Part] {
			continue
		}
		for _, it := range items {
			if it.Part != se.Part {
				continue
			}
			switch {
			case errors.Is(e, media.ErrEmpty): // media.ErrSilent too
				return "I didn't hear anything in that recording."
			case errors.Is(e, media.ErrTooLarge):
				return fmt.Sprintf("That %s is too long for me to process.", it.Kind)
			case it.Kind == media.Audio:
				return "I couldn't play that audio file. Could you record it again, or type your message?"
			case it.Kind == media.Image:
				return "I couldn't open that picture. Could you send it again as a JPEG or PNG?"
			case it.Kind == media.Video:
				return "I couldn't open that video. Could you send it again as an MP4 or WebM?"
			}
		}
	}
	return ""
}

// storeAttachments stores stage attachments (crops) as blobs and sets their URLs.
func (s *Server) storeAttachments(ctx context.Context, obs []perception.Observation) error {
	for i := range obs {
		a := obs[i].Attachment
		if a == nil || len(a.Data) == 0 || a.URL != "" {
			continue
		}
		ref, err := s.blobs.Put(ctx, bytes.NewReader(a.Data), int64(len(a.Data))+1)
		if err != nil {
			return err
		}
		a.URL = "/v1/blobs/" + ref.Hash
	}
	return nil
}

// storeParts stores generated reply content (documents, crops) and replaces it with URLs.
func (s *Server) storeParts(ctx context.Context, parts []dialogue.Part) error {
	for i := range parts {
		p := &parts[i]
		if len(p.Data) == 0 || p.URL != "" {
			continue
		}
		ref, err := s.blobs.Put(ctx, bytes.NewReader(p.Data), int64(len(p.Data))+1)
		if err != nil {
			return err
		}
		p.URL = "/v1/blobs/" + ref.Hash
		if p.Type != "audio" {
			p.Data = nil
		}
	}
	return nil
}

func (s *Server) wantsSpeech(items []media.Item) bool {
	if s.opts.Speaker == nil {
		return false
	}
	switch s.cfg.Speech.Reply {
	case "always":
		return true
	case "never":
		return false
	}
	for _, it := range items {
		if it.Kind == media.Audio || it.Kind == media.Video {
			return true
		}
	}
	return false
}

// speak synthesises the reply's text at the reply's pace and stores the audio.
func (s *Server) speak(ctx context.Context, r dialogue.Reply) (dialogue.Part, error) {
	text := r.Text()
	if text == "" {
		return dialogue.Part{}, errors.New("nothing to say")
	}
	data, ct, err := s.opts.Speaker.Speak(ctx, text, r.Style)
	if err != nil {
		return dialogue.Part{}, err
	}
	ref, err := s.blobs.Put(ctx, bytes.NewReader(data), int64(len(data))+1)
	if err != nil {
		return dialogue.Part{}, err
	}
	return dialogue.Part{Type: "audio", URL: "/v1/blobs/" + ref.Hash, MIME: ct, Title: "Spoken reply", Data: data}, nil
}
