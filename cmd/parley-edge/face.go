//go:build js && wasm

package main

import (
	"encoding/json"
	"image"
	"syscall/js"
	"time"

	"github.com/parleyhq/parley/edge"
)

var faces *edge.Face

// loadFace(dir) loads the face models from dir (the page's in-memory file system); it returns an
// error message or null.
func loadFace(_ js.Value, args []js.Value) any {
	dir := "/models"
	if len(args) > 0 && args[0].Type() == js.TypeString {
		dir = args[0].String()
	}
	f, err := edge.NewFace(dir)
	if err != nil {
		return err.Error()
	}
	faces = f
	return js.Null()
}

// expression(rgba Uint8ClampedArray|Uint8Array, width, height, at_ms?) returns the faces of the
// frame with their expression scores; with at_ms (the frame's time in a call) the largest face
// also gets its landmark cues against the person's first seconds, when facemesh is loaded.
func expression(_ js.Value, args []js.Value) any {
	if faces == nil {
		return map[string]any{"error": "call loadFace first"}
	}
	if len(args) < 3 {
		return map[string]any{"error": "expression needs rgba, width and height"}
	}
	w, h := args[1].Int(), args[2].Int()
	if w <= 0 || h <= 0 || args[0].Get("length").Int() != w*h*4 {
		return map[string]any{"error": "rgba must hold width*height*4 bytes"}
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	src := args[0]
	if src.Get("constructor").Get("name").String() != "Uint8Array" {
		src = js.Global().Get("Uint8Array").New(src.Get("buffer"), src.Get("byteOffset"), src.Get("length"))
	}
	js.CopyBytesToGo(img.Pix, src)
	var read []edge.FaceScore
	if len(args) > 3 && args[3].Type() == js.TypeNumber {
		read = faces.Read(img, time.Duration(args[3].Float()*float64(time.Millisecond)))
	} else {
		read = faces.Expressions(img)
	}
	b, _ := json.Marshal(read)
	return js.Global().Get("JSON").Call("parse", string(b))
}
