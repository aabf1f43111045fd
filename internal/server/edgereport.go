package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/parleyhq/parley/dialogue"
	"github.com/parleyhq/parley/kb"
	"github.com/parleyhq/parley/live"
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
	"github.com/parleyhq/parley/perception/face"
	"github.com/parleyhq/parley/perception/prosody"
	"github.com/parleyhq/parley/store"
)

// edgeReport is the body of POST /v1/conversations/{id}/edge and of a live "edge" message: what
// the device observed, a small thumbnail of the camera, and the bytes it sent up instead of raw media.
type edgeReport struct {
	Observations []edgeObservation `json:"observations"`
	// Thumbnail is a small JPEG of the camera (at most 160 pixels a side), base64.
	Thumbnail string      `json:"thumbnail,omitempty"`
	Bytes     []edgeBytes `json:"bytes"`
}

// edgeBytes is what the device sent up of one kind (video, photo or audio) and what the raw
// media would have cost.
type edgeBytes struct {
	Kind string `json:"kind"`
	Sent int64  `json:"sent"`
	Raw  int64  `json:"raw"`
}

// edgeObservation is one on-device reading: expression scores of the largest face (emotion), its
// landmark cues (affect_cue) or how a speech segment was said (prosody).
type edgeObservation struct {
	Kind       string             `json:"kind"` // emotion or prosody
	Value      map[string]float64 `json:"value"`
	Confidence float64            `json:"confidence"`
	OffsetMS   int64              `json:"offset_ms"`
	// Text says what moved, for facial cues ("brows lowered for 2 s"); at most 80 characters.
	Text string `json:"text,omitempty"`
	// Uploaded says the segment a prosody reading measured went up too; the server's own
	// prosody stage then reads it, so the device's reading is evidence without an affect pull.
	Uploaded bool `json:"uploaded,omitempty"`
}

// Edge limits.
const (
	maxEdgeObservations = 64
	maxThumbnailBytes   = 16 << 10
	maxThumbnailSide    = 160
)

// EdgeStage prefixes the stage of observations made on the device.
const EdgeStage = "edge"

// prosodyRanges bound each prosody score the device may send.
var prosodyRanges = map[string][2]float64{
	"pitch_hz": {0, 2000}, "pitch_var": {0, 100}, "energy_db": {-200, 20}, "rate_sps": {0, 50},
	"pause_ratio": {0, 1}, "frustration": {0, 1},
}

// handleEdge is POST /v1/conversations/{id}/edge.
func (s *Server) handleEdge(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.load(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	var req edgeReport
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.takeEdgeReport(r.Context(), id, req, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

var _ live.EdgeReporter = (*Server)(nil)

// EdgeReport takes a report that came over the live socket; the bytes of its video scores and
// thumbnail are counted as received (the message's length), not as the device says.
func (s *Server) EdgeReport(ctx context.Context, conversationID string, msg json.RawMessage) (any, error) {
	if _, err := s.load(ctx, conversationID); err != nil {
		return nil, err
	}
	var req edgeReport
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, errorf(http.StatusBadRequest, "malformed_json", "the edge report is not valid JSON: "+err.Error())
	}
	return s.takeEdgeReport(ctx, conversationID, req, int64(len(msg)))
}

// takeEdgeReport validates a report, counts its bytes, fuses its readings into the affect and
// says which raw media the server still needs. On-device readings become evidence with the stage
// edge.*; they never fill a slot, so irreversible actions (a deposit) rest on what the server's
// own stages read from uploads.
func (s *Server) takeEdgeReport(ctx context.Context, id string, req edgeReport, received int64) (map[string]any, error) {
	if len(req.Observations) > maxEdgeObservations || len(req.Bytes) > 16 {
		return nil, errorf(http.StatusRequestEntityTooLarge, "too_large", "at most 64 observations and 16 byte counts per report")
	}
	obs, err := edgeObservations(id, req.Observations)
	if err != nil {
		return nil, err
	}
	var thumb []byte
	if req.Thumbnail != "" {
		if thumb, err = checkThumbnail(req.Thumbnail); err != nil {
			return nil, err
		}
	}
	for i, b := range req.Bytes {
		if !slices.Contains([]string{"video", "photo", "audio"}, b.Kind) || b.Sent < 0 || b.Raw < 0 {
			return nil, errorf(http.StatusBadRequest, "invalid_bytes", fmt.Sprintf("bytes[%d]: kind video, photo or audio with sent and raw >= 0", i))
		}
	}
	for _, b := range req.Bytes {
		sent := b.Sent
		if received > 0 && b.Kind == "video" {
			sent = received // what the socket carried, scores and thumbnail together
		}
		if err := s.countBytes(ctx, id, b.Kind, sent, b.Raw); err != nil {
			return nil, err
		}
	}
	out := map[string]any{"accepted": len(obs)}
	event := map[string]any{"observations": len(obs)}
	if thumb != nil {
		ref, err := s.blobs.Put(ctx, bytes.NewReader(thumb), maxThumbnailBytes)
		if err != nil {
			return nil, err
		}
		// The thumbnail belongs to the conversation: served to its tenant, erased and expired
		// with it.
		if ret, ok := s.store.(store.Retention); ok {
			if err := ret.AddBlobRef(ctx, id, "edge:thumbnail", ref.Hash, time.Now()); err != nil {
				return nil, err
			}
		}
		event["thumbnail"] = "/v1/blobs/" + ref.Hash
		out["thumbnail"] = event["thumbnail"]
	}
	if len(obs) > 0 || thumb != nil {
		affect, err := s.conv.Fuse(ctx, id, obs, dialogue.Event{Type: "edge", Data: event})
		if err != nil {
			return nil, err
		}
		out["affect"] = affect
	}
	if out["bytes"], err = s.conversationBytes(ctx, id); err != nil {
		return nil, err
	}
	cv, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	out["raw_media"] = s.rawMedia(id, cv.State, req)
	return out, nil
}

// edgeObservations checks the device's readings and turns them into observations.
func edgeObservations(id string, in []edgeObservation) ([]perception.Observation, error) {
	var obs []perception.Observation
	for i, o := range in {
		bad := func(why string) error {
			return errorf(http.StatusBadRequest, "invalid_observation", fmt.Sprintf("observations[%d]: %s", i, why))
		}
		if !(o.Confidence >= 0 && o.Confidence <= 1) || o.OffsetMS < 0 || len(o.Text) > 80 {
			return nil, bad("confidence must be in [0, 1], offset_ms >= 0 and text at most 80 characters")
		}
		at := time.Duration(o.OffsetMS) * time.Millisecond
		src := perception.Source{MessageID: "live:" + id, Start: at, End: at}
		switch o.Kind {
		case perception.KindEmotion:
			if err := validScores(o.Value); err != nil {
				return nil, bad(err.Error())
			}
			src.Modality, src.Stage = media.ModVideo, EdgeStage+"."+face.StageID
			obs = append(obs, perception.Observation{Kind: perception.KindEmotion, Value: o.Value, Confidence: o.Confidence, Text: "on-device expression", Source: src})
		case perception.KindProsody:
			if err := validProsody(o.Value); err != nil {
				return nil, bad(err.Error())
			}
			src.Modality, src.Stage = media.ModVoice, EdgeStage+"."+prosody.StageID
			obs = append(obs, perception.Observation{Kind: perception.KindProsody, Value: o.Value, Confidence: o.Confidence, Text: "on-device prosody", Source: src})
			if x := o.Value["frustration"]; !o.Uploaded && x >= prosody.AgitatedAt {
				obs = append(obs, perception.Observation{Kind: perception.KindAffectCue, Value: map[string]float64{"frustration": x},
					Confidence: o.Confidence * 0.8, Text: "loud, fast, high-pitched speech (on the device)", Source: src})
			}
		case perception.KindAffectCue:
			if err := validCues(o.Value); err != nil {
				return nil, bad(err.Error())
			}
			src.Modality, src.Stage = media.ModVideo, EdgeStage+"."+face.StageID
			text := "on-device facial cues"
			if o.Text != "" {
				text = o.Text
			}
			obs = append(obs, perception.Observation{Kind: perception.KindAffectCue, Value: o.Value, Confidence: o.Confidence, Text: text, Source: src})
		default:
			return nil, bad(fmt.Sprintf("kind %q: want emotion, affect_cue or prosody", o.Kind))
		}
	}
	return obs, nil
}

// validScores checks expression scores: known names, each in [0, 1].
func validScores(v map[string]float64) error {
	if len(v) == 0 {
		return fmt.Errorf("value needs the expression scores")
	}
	for k, p := range v {
		if !slices.Contains(face.Expressions[:], k) {
			return fmt.Errorf("unknown expression %q", k)
		}
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("score %s=%v is outside [0, 1]", k, p)
		}
	}
	return nil
}

// validCues checks facial cue scores: confusion, frustration and the face stage's cue names,
// each in [0, 1].
func validCues(v map[string]float64) error {
	if len(v) == 0 {
		return fmt.Errorf("value needs the cue scores")
	}
	known := []string{"confusion", "frustration", face.CueBrowLower, face.CueBrowRaise, face.CueLipPress, face.CueHeadTilt, face.CueGazeAway}
	for k, x := range v {
		if !slices.Contains(known, k) {
			return fmt.Errorf("unknown cue %q", k)
		}
		if !(x >= 0 && x <= 1) {
			return fmt.Errorf("cue %s=%v is outside [0, 1]", k, x)
		}
	}
	return nil
}

// validProsody checks prosody scores: known names, each within its range.
func validProsody(v map[string]float64) error {
	if len(v) == 0 {
		return fmt.Errorf("value needs the prosody scores")
	}
	for k, x := range v {
		r, ok := prosodyRanges[k]
		if !ok {
			return fmt.Errorf("unknown prosody score %q", k)
		}
		if math.IsNaN(x) || x < r[0] || x > r[1] {
			return fmt.Errorf("prosody %s=%v is outside [%v, %v]", k, x, r[0], r[1])
		}
	}
	return nil
}

// checkThumbnail decodes a thumbnail and checks it is a small JPEG.
func checkThumbnail(b64 string) ([]byte, error) {
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "invalid_thumbnail", "thumbnail must be base64")
	}
	if len(data) > maxThumbnailBytes {
		return nil, errorf(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the thumbnail is %d bytes; at most %d", len(data), maxThumbnailBytes))
	}
	cfg, format, err := media.ImageHeader(data, maxThumbnailSide*maxThumbnailSide)
	if err != nil || format != "jpeg" {
		return nil, errorf(http.StatusBadRequest, "invalid_thumbnail", "thumbnail is not a JPEG image")
	}
	if cfg.Width > maxThumbnailSide || cfg.Height > maxThumbnailSide {
		return nil, errorf(http.StatusBadRequest, "invalid_thumbnail", fmt.Sprintf("the thumbnail is %dx%d; at most %d pixels a side", cfg.Width, cfg.Height, maxThumbnailSide))
	}
	return data, nil
}

// rawMediaNeed tells the device which raw media the server still needs from this conversation.
type rawMediaNeed struct {
	// Video asks for camera frames (the server path) instead of scores only.
	Video bool `json:"video"`
	// Audio is "segments": only speech segments go up, never silence.
	Audio string `json:"audio"`
	// Photo is "crop": a readable photo goes up as the device's crop of the document, which the
	// server's own stages read; an unreadable one never goes up.
	Photo  string `json:"photo"`
	Reason string `json:"reason"`
}

// Raw media thresholds: a face the device reads with less confidence is not clear, and this many
// video reports in a row without a clear face make the server ask for the frames.
const (
	clearFace     = 0.6
	lowFaceStreak = 3
)

// rawMedia decides, for this conversation now, whether the server still needs raw media: the
// frames when the skill reads the video on the server (a product's display and lights) or when
// the device's face readings are not clear; never the audio's silence; the document crop of a
// photo, which is what the server's own reading (and any deposit) rests on.
func (s *Server) rawMedia(id string, st *dialogue.State, req edgeReport) rawMediaNeed {
	need := rawMediaNeed{Audio: "segments", Photo: "crop", Reason: "the device's scores suffice"}
	video := slices.ContainsFunc(req.Bytes, func(b edgeBytes) bool { return b.Kind == "video" })
	clear := false
	for _, o := range req.Observations {
		if o.Kind == perception.KindEmotion {
			video = true
			clear = clear || o.Confidence >= clearFace
		}
	}
	e := s.edgeInit()
	e.mu.Lock()
	streak := e.lowFace[id]
	if video {
		if clear {
			streak = 0
		} else {
			streak++
		}
		e.lowFace[id] = streak
	}
	e.mu.Unlock()
	var flow *kb.Flow
	if p, err := s.packs.Pack(st.Pack); err == nil {
		flow = p.Flows[st.Skill]
	}
	switch {
	case flow != nil && flow.Diagnose && st.Step != "done":
		need.Video = true
		need.Reason = fmt.Sprintf("the %s flow reads the product's display and lights from the camera on the server", st.Skill)
	case streak >= lowFaceStreak:
		need.Video = true
		need.Reason = fmt.Sprintf("the device found no clear face (confidence %.1f or more) in the last %d reports: the server reads the frames", clearFace, streak)
	case flow != nil && flow.Upload != nil:
		need.Reason = fmt.Sprintf("the device's scores suffice; the %s flow rests on the server's own reading of the uploaded crop", st.Skill)
	}
	return need
}
