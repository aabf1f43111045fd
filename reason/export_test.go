package reason

import "context"

// RunTool runs one tool call for the tests.
func RunTool(t *Tools, pack, name, args string) (string, *ToolAction) {
	return t.run(context.Background(), pack, name, args)
}
