//go:build js && wasm

// Command parley-edge is the edge stages (package edge) for the browser, built with GOOS=js
// GOARCH=wasm. It registers globalThis.parleyEdge with
// judgePhoto(Uint8Array) -> {report, upload: Uint8Array|null, quality, raw_bytes},
// loadFace(dir) and expression(rgba, width, height) -> [{box, score, expression}],
// speechStart(rate), speechWrite(Int16Array) and speechFlush() -> {segments, sent, raw,
// speaking_ms} (each segment with its prosody), prosody(Int16Array, rate) -> {value, confidence,
// speech_s}, and waits.
package main

import (
	"encoding/json"
	"syscall/js"

	"github.com/parleyhq/parley/edge"
)

func main() {
	api := js.Global().Get("Object").New()
	api.Set("version", "1")
	api.Set("judgePhoto", js.FuncOf(judgePhoto))
	api.Set("loadFace", js.FuncOf(loadFace))
	api.Set("expression", js.FuncOf(expression))
	api.Set("speechStart", js.FuncOf(speechStart))
	api.Set("speechWrite", js.FuncOf(speechWrite))
	api.Set("speechFlush", js.FuncOf(speechFlush))
	api.Set("prosody", js.FuncOf(prosodyOf))
	js.Global().Set("parleyEdge", api)
	if ready := js.Global().Get("parleyEdgeReady"); ready.Type() == js.TypeFunction {
		ready.Invoke(api)
	}
	select {}
}

// judgePhoto(bytes, maxBytes?) judges a photo on the device.
func judgePhoto(_ js.Value, args []js.Value) any {
	if len(args) == 0 {
		return map[string]any{"error": "judgePhoto needs the photo's bytes"}
	}
	data := make([]byte, args[0].Get("length").Int())
	js.CopyBytesToGo(data, args[0])
	max := 0
	if len(args) > 1 && args[1].Type() == js.TypeNumber {
		max = args[1].Int()
	}
	j, err := edge.JudgePhoto(data, max)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	report, _ := json.Marshal(j.Report)
	out := map[string]any{"report": js.Global().Get("JSON").Call("parse", string(report)), "quality": j.Quality, "raw_bytes": j.RawBytes, "upload": js.Null()}
	if j.Upload != nil {
		u := js.Global().Get("Uint8Array").New(len(j.Upload))
		js.CopyBytesToJS(u, j.Upload)
		out["upload"] = u
	}
	return out
}
