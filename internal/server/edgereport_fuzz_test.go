package server

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzEdgeReport feeds arbitrary bodies to the on-device report's decoder and validators: they
// return errors, never panic, and what they accept is within the limits.
func FuzzEdgeReport(f *testing.F) {
	f.Add([]byte(`{"observations":[{"kind":"emotion","confidence":0.9,"value":{"happy":0.9}}],"bytes":[{"kind":"video","sent":200,"raw":30000}]}`))
	f.Add([]byte(`{"observations":[{"kind":"prosody","confidence":0.5,"value":{"pitch_hz":180,"frustration":0.7},"uploaded":true}]}`))
	f.Add([]byte(`{"thumbnail":"/9j/4AAQSkZJRg=="}`))
	f.Add([]byte(`{"observations":[{"kind":"prosody","value":{"pause_ratio":"NaN"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req edgeReport
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if dec.Decode(&req) != nil {
			return
		}
		obs, err := edgeObservations("c1", req.Observations)
		if err == nil && len(obs) > 2*len(req.Observations) {
			t.Fatalf("%d observations from %d readings", len(obs), len(req.Observations))
		}
		for _, o := range obs {
			if !(o.Confidence >= 0 && o.Confidence <= 1) {
				t.Fatalf("confidence %v accepted", o.Confidence)
			}
		}
		if req.Thumbnail != "" {
			if data, err := checkThumbnail(req.Thumbnail); err == nil && len(data) > maxThumbnailBytes {
				t.Fatalf("a %d-byte thumbnail accepted", len(data))
			}
		}
	})
}
