package server

import (
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
}

func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := r.PathValue("id")
	if err := s.conv.Check(r.Context(), id); err != nil {
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
		ID: newID("m_"), ConversationID: id, Role: store.RoleCustomer, Text: text,
		IdempotencyKey: r.Header.Get("Idempotency-Key"), CreatedAt: s.now(),
	}
	for _, u := range uploads {
		msg.Parts = append(msg.Parts, u.ref)
	}
	res, err := s.conv.Deliver(r.Context(), msg)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metrics.turn.Observe(time.Since(start).Seconds())
	writeJSON(w, http.StatusOK, messageResponse{MessageID: res.MessageID, Reply: res.Reply, State: res.State})
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
			if n := s.cfg.Guard.MessageParts; n > 0 && len(uploads) >= n {
				return "", nil, errorf(http.StatusRequestEntityTooLarge, "too_many_parts", fmt.Sprintf("a message carries at most %d image, audio and video parts; send the rest in another message", n))
			}
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
