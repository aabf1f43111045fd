package conversation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/store"
)

// items turns a stored message into perception items; videos become frames and an audio track.
// A video that cannot be expanded (corrupt, unsupported, too long) stays one item and its error is
// returned among unread, so the reply can say so.
func (s *Service) items(ctx context.Context, msg *store.Message) (items []media.Item, unread []error, err error) {
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
			if s.cfg.Video != nil {
				expanded, err := s.cfg.Video(ctx, it)
				if err == nil {
					items = append(items, expanded...)
					continue
				}
				s.log.InfoContext(ctx, "video not expanded", "message", msg.ID, "err", err)
				unread = append(unread, &perception.StageError{Stage: "video", Part: it.Part, Err: err})
			}
		}
		items = append(items, it)
	}
	return items, unread, nil
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
func (s *Service) storeAttachments(ctx context.Context, obs []perception.Observation) error {
	for i := range obs {
		a := obs[i].Attachment
		if a == nil || len(a.Data) == 0 || a.URL != "" {
			continue
		}
		ref, err := s.cfg.Blobs.Put(ctx, bytes.NewReader(a.Data), int64(len(a.Data))+1)
		if err != nil {
			return err
		}
		a.URL = "/v1/blobs/" + ref.Hash
	}
	return nil
}

// storeParts stores generated reply content (documents, crops) and replaces it with URLs.
func (s *Service) storeParts(ctx context.Context, parts []dialogue.Part) error {
	for i := range parts {
		p := &parts[i]
		if len(p.Data) == 0 || p.URL != "" {
			continue
		}
		ref, err := s.cfg.Blobs.Put(ctx, bytes.NewReader(p.Data), int64(len(p.Data))+1)
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

func (s *Service) wantsSpeech(items []media.Item) bool {
	if s.cfg.Speaker == nil {
		return false
	}
	switch s.cfg.SpeechReply {
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
func (s *Service) speak(ctx context.Context, r dialogue.Reply) (dialogue.Part, error) {
	text := r.Text()
	if text == "" {
		return dialogue.Part{}, errors.New("nothing to say")
	}
	data, ct, err := s.cfg.Speaker.Speak(ctx, text, r.Style)
	if err != nil {
		return dialogue.Part{}, err
	}
	ref, err := s.cfg.Blobs.Put(ctx, bytes.NewReader(data), int64(len(data))+1)
	if err != nil {
		return dialogue.Part{}, err
	}
	return dialogue.Part{Type: "audio", URL: "/v1/blobs/" + ref.Hash, MIME: ct, Title: "Spoken reply", Data: data}, nil
}

func (s *Service) blobBytes(ctx context.Context, hash string) ([]byte, error) {
	rc, err := s.cfg.Blobs.Open(ctx, hash)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
