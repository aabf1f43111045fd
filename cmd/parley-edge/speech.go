//go:build js && wasm

package main

import (
	"encoding/json"
	"syscall/js"

	"github.com/parleyhq/parley/edge"
)

var speech *edge.Speech

// speechStart(rate) starts local speech detection on 16-bit mono PCM.
func speechStart(_ js.Value, args []js.Value) any {
	rate := 16000
	if len(args) > 0 && args[0].Type() == js.TypeNumber {
		rate = args[0].Int()
	}
	speech = edge.NewSpeech(rate)
	return js.Null()
}

// speechWrite(Int16Array) returns the utterances that ended: [{start_ms, end_ms, pcm: Int16Array,
// prosody: {value, confidence, speech_s} | null}], with the bytes sent and raw so far and how long
// the utterance under way has been sure speech (speaking_ms).
func speechWrite(_ js.Value, args []js.Value) any {
	if speech == nil || len(args) == 0 {
		return map[string]any{"error": "call speechStart, then speechWrite(Int16Array)"}
	}
	return segmentsJS(speech.Write(int16s(args[0])))
}

// int16s copies an Int16Array into Go.
func int16s(v js.Value) []int16 {
	n := v.Get("length").Int()
	raw := make([]byte, 2*n)
	js.CopyBytesToGo(raw, js.Global().Get("Uint8Array").New(v.Get("buffer"), v.Get("byteOffset"), 2*n))
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(uint16(raw[2*i]) | uint16(raw[2*i+1])<<8)
	}
	return pcm
}

// prosodyOf(Int16Array, rate?) measures one utterance: {value, confidence, speech_s}, or null
// when it holds no speech.
func prosodyOf(_ js.Value, args []js.Value) any {
	if len(args) == 0 || args[0].Type() != js.TypeObject {
		return map[string]any{"error": "prosody needs an Int16Array"}
	}
	rate := 16000
	if len(args) > 1 && args[1].Type() == js.TypeNumber {
		rate = args[1].Int()
	}
	return prosodyJS(int16s(args[0]), rate)
}

func prosodyJS(samples []int16, rate int) any {
	p, ok := edge.Prosody(samples, rate)
	if !ok {
		return js.Null()
	}
	b, _ := json.Marshal(p)
	return js.Global().Get("JSON").Call("parse", string(b))
}

// speechFlush ends the stream and returns the open utterance, if any.
func speechFlush(_ js.Value, _ []js.Value) any {
	if speech == nil {
		return map[string]any{"error": "call speechStart first"}
	}
	return segmentsJS(speech.Flush())
}

func segmentsJS(segs []edge.Segment) any {
	arr := js.Global().Get("Array").New()
	for _, s := range segs {
		b := make([]byte, 2*len(s.Samples))
		for i, v := range s.Samples {
			b[2*i], b[2*i+1] = byte(v), byte(uint16(v)>>8)
		}
		u := js.Global().Get("Uint8Array").New(len(b))
		js.CopyBytesToJS(u, b)
		arr.Call("push", map[string]any{"start_ms": s.Start.Milliseconds(), "end_ms": s.End.Milliseconds(),
			"pcm": js.Global().Get("Int16Array").New(u.Get("buffer")), "prosody": prosodyJS(s.Samples, speech.Rate())})
	}
	return map[string]any{"segments": arr, "sent": speech.Sent, "raw": speech.Raw, "speaking_ms": speech.Speaking().Milliseconds()}
}
