package store

import (
	"crypto/sha256"
	"net/http"
	"strings"
)

// SniffLen is how many leading bytes of a blob decide its content type.
const SniffLen = 512

// ValidHash reports whether h can name a blob: 64 hexadecimal digits (a SHA-256).
func ValidHash(h string) bool {
	if len(h) != sha256.Size*2 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// SniffContentType names the content type of a blob from its first bytes, with the audio formats
// the standard sniffer reports under other names mapped to their usual types.
func SniffContentType(head []byte) string {
	ct := http.DetectContentType(head)
	switch {
	case ct == "audio/wave":
		return "audio/wav"
	case ct == "application/ogg":
		return "audio/ogg"
	case ct == "application/octet-stream" && len(head) >= 12 && string(head[4:8]) == "ftyp":
		return "video/mp4"
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 && !strings.HasPrefix(ct, "text/") {
		ct = ct[:i]
	}
	return ct
}

// KindOf is the BlobRef kind (image, audio, video or empty) of a content type.
func KindOf(contentType string) string {
	for _, k := range []string{"image", "audio", "video"} {
		if strings.HasPrefix(contentType, k+"/") {
			return k
		}
	}
	return ""
}
