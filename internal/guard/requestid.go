package guard

// MaxRequestID is the longest incoming X-Request-Id that is kept.
const MaxRequestID = 128

// ValidRequestID reports whether an incoming X-Request-Id is kept as the request's id: 1 to
// MaxRequestID characters of letters, digits and . _ : / + = -, nothing that could break a log
// line or a header. Anything else is replaced by a fresh id.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == ':', c == '/', c == '+', c == '=', c == '-':
		default:
			return false
		}
	}
	return true
}
