package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Int masks an integer of MinDigits digits or more (a number kept as an int is still a number);
// shorter ones come back as they are.
func Int(n int64) any {
	if n > -10_000_000 && n < 10_000_000 {
		return n
	}
	return String(strconv.FormatInt(n, 10))
}

// Any returns v with every number masked: strings are masked, long integers become masked
// strings, and maps and slices of the kinds encoding/json produces are copied with their contents
// masked. Other values come back as they are.
func Any(v any) any {
	switch x := v.(type) {
	case string:
		return String(x)
	case []string:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = String(s)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, s := range x {
			out[String(k)] = String(s)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[String(k)] = Any(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Any(e)
		}
		return out
	case json.Number:
		if Contains(string(x)) {
			return String(string(x))
		}
		return x
	case float64:
		if x == math.Trunc(x) && math.Abs(x) >= 1e7 && math.Abs(x) < 1e20 {
			return String(strconv.FormatFloat(x, 'f', 0, 64))
		}
		return x
	case int:
		return Int(int64(x))
	case int64:
		return Int(x)
	case uint64:
		if x < 10_000_000 {
			return x
		}
		return String(strconv.FormatUint(x, 10))
	}
	return v
}

// JSON masks every string and long number in a JSON document, keys included, and returns it
// re-encoded; a document that does not parse is an error.
func JSON(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("redact: more than one JSON value")
	}
	return json.Marshal(Any(v))
}
