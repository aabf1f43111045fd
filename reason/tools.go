package reason

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/parleyhq/parley/kb"
)

// ToolAction is an action the cloud model proposed through a tool: an order or a handoff.
type ToolAction struct {
	Type string            `json:"type"` // order or handoff
	Args map[string]string `json:"args,omitempty"`
}

// Tools are the functions the cloud model may call: search the pack's articles, look up a part,
// propose an order, hand off to a person. Searches run here; orders and handoffs are only proposed.
type Tools struct {
	Local *Local
	Packs *kb.Library
}

// definitions returns the tools in the chat-completions format.
func (t *Tools) definitions() []openai.ChatCompletionToolUnionParam {
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	def := func(name, desc string, props map[string]any, required ...string) openai.ChatCompletionToolUnionParam {
		return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: name, Description: openai.String(desc),
			Parameters: shared.FunctionParameters{"type": "object", "properties": props, "required": required},
		})
	}
	return []openai.ChatCompletionToolUnionParam{
		def("search_knowledge", "Search the company's help articles; returns the best matches.", map[string]any{"query": str("what to look for")}, "query"),
		def("lookup_part", "Find spare parts by name, part number or product model; returns number, name, price and stock.", map[string]any{"query": str("part name, number or model")}, "query"),
		def("create_order", "Propose an order of a part for the customer to confirm.", map[string]any{"part_number": str("the part number"), "quantity": map[string]any{"type": "integer"}}, "part_number"),
		def("hand_off", "Hand the conversation to a person.", map[string]any{"reason": str("why a person is needed")}, "reason"),
	}
}

// run executes one tool call; invalid arguments are reported back to the model, not failed.
func (t *Tools) run(_ context.Context, pack, name, arguments string) (string, *ToolAction) {
	var args map[string]any
	if err := json.Unmarshal([]byte(arguments), &args); err != nil {
		return "error: the arguments are not a JSON object: " + err.Error(), nil
	}
	get := func(k string) string {
		switch v := args[k].(type) {
		case string:
			return v
		case float64:
			return fmt.Sprint(v)
		}
		return ""
	}
	switch name {
	case "search_knowledge":
		q := get("query")
		if q == "" {
			return "error: query is required", nil
		}
		var out []string
		if t.Local != nil {
			for _, a := range t.Local.Search(pack, q, 3) {
				out = append(out, "# "+a.Title+"\n"+a.Body)
			}
		}
		if len(out) == 0 {
			return "no article matches", nil
		}
		return strings.Join(out, "\n\n"), nil
	case "lookup_part":
		q := strings.ToLower(get("query"))
		if q == "" {
			return "error: query is required", nil
		}
		var out []string
		if t.Packs != nil {
			if p, err := t.Packs.Pack(pack); err == nil {
				for _, part := range p.Parts {
					hay := strings.ToLower(part.Number + " " + part.Name + " " + strings.Join(part.Fits, " "))
					if strings.Contains(hay, q) || strings.Contains(q, strings.ToLower(part.Number)) {
						out = append(out, fmt.Sprintf("%s %s: $%.2f, %d in stock", part.Number, part.Name, part.Price, part.Stock))
					}
				}
			}
		}
		if len(out) == 0 {
			return "no part matches", nil
		}
		return strings.Join(out, "\n"), nil
	case "create_order":
		n := get("part_number")
		if n == "" {
			return "error: part_number is required", nil
		}
		qty := get("quantity")
		if qty == "" {
			qty = "1"
		}
		return "proposed: the customer confirms the order on the order page", &ToolAction{Type: "order", Args: map[string]string{"part_number": n, "quantity": qty}}
	case "hand_off":
		return "proposed: a person will take over", &ToolAction{Type: "handoff", Args: map[string]string{"reason": get("reason")}}
	}
	return "error: unknown tool " + name, nil
}
