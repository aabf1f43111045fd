package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler is a slog.Handler that masks numbers in the message and in every attribute before the
// wrapped handler sees them: strings, long integers, errors, fmt.Stringers, values that log
// themselves (slog.LogValuer) and anything else whose printed form holds a number, inside groups too.
type Handler struct {
	next slog.Handler
}

var _ slog.Handler = (*Handler)(nil)

// NewHandler wraps next so that no record reaches it with a number whole.
func NewHandler(next slog.Handler) *Handler { return &Handler{next: next} }

// Enabled reports whether the wrapped handler takes records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle masks the record and passes it on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(Attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs masks attrs once, up front.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = Attr(a)
	}
	return &Handler{next: h.next.WithAttrs(masked)}
}

// WithGroup opens a group on the wrapped handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name)}
}

// Attr returns a with its value masked.
func Attr(a slog.Attr) slog.Attr {
	return slog.Attr{Key: a.Key, Value: Value(a.Value)}
}

// Value returns v with every number masked.
func Value(v slog.Value) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(String(v.String()))
	case slog.KindInt64:
		if m, ok := Int(v.Int64()).(string); ok {
			return slog.StringValue(m)
		}
		return v
	case slog.KindUint64:
		if m, ok := Any(v.Uint64()).(string); ok {
			return slog.StringValue(m)
		}
		return v
	case slog.KindGroup:
		as := v.Group()
		out := make([]slog.Attr, len(as))
		for i, a := range as {
			out[i] = Attr(a)
		}
		return slog.GroupValue(out...)
	case slog.KindLogValuer:
		return Value(v.Resolve())
	case slog.KindAny:
		return anyValue(v)
	}
	return v
}

// anyValue masks a value of kind Any: an error or Stringer by its text, a map or slice of the
// JSON kinds by its contents, anything else by its printed form when that holds a number.
func anyValue(v slog.Value) slog.Value {
	switch x := v.Any().(type) {
	case error:
		return slog.StringValue(String(x.Error()))
	case fmt.Stringer:
		return slog.StringValue(String(x.String()))
	case []byte:
		return slog.StringValue(String(string(x)))
	case string, []string, map[string]string, map[string]any, []any:
		return slog.AnyValue(Any(x))
	default:
		if s := fmt.Sprintf("%+v", x); Contains(s) {
			return slog.StringValue(String(s))
		}
	}
	return v
}
