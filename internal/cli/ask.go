package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

func init() {
	Register(&Command{Name: "ask", Summary: "send one message (text, --image, --audio, --video) and print the reply", Run: runAsk})
	Register(&Command{Name: "chat", Summary: "talk to Parley in the terminal (/image PATH, /audio PATH, /video PATH, /state, /quit)", Run: runChat})
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runAsk(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("ask", out)
	pack := fs.String("pack", "", "knowledge pack (bank, telecom, appliances)")
	srvURL := fs.String("server", "", "URL of a running server (default: start one in-process)")
	conv := fs.String("conversation", "", "continue an existing conversation (with --server)")
	cfgPath := fs.String("config", "", "config file for the in-process server")
	asJSON := fs.Bool("json", false, "print the whole response as JSON")
	var images, audios, videos multiFlag
	fs.Var(&images, "image", "image file (repeatable)")
	fs.Var(&audios, "audio", "audio file (repeatable)")
	fs.Var(&videos, "video", "video file (repeatable)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	text := strings.Join(pos, " ")
	if text == "" && len(images)+len(audios)+len(videos) == 0 {
		return fmt.Errorf("%w: %v", ErrUsage, errNoText)
	}
	c, err := connect(ctx, *srvURL, "", *cfgPath)
	if err != nil {
		return err
	}
	defer c.close()
	id := *conv
	if id == "" {
		if id, err = c.create(ctx, *pack); err != nil {
			return err
		}
	}
	r, err := c.send(ctx, id, text, map[string][]string{"image": images, "audio": audios, "video": videos})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"conversation": id, "response": r})
	}
	printReply(out, r, c.base)
	fmt.Fprintf(out, "(conversation %s)\n", id)
	return nil
}

func runChat(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("chat", out)
	pack := fs.String("pack", "", "knowledge pack (bank, telecom, appliances)")
	srvURL := fs.String("server", "", "URL of a running server (default: start one in-process)")
	data := fs.String("data", "", "data directory of the in-process server")
	cfgPath := fs.String("config", "", "config file for the in-process server")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := connect(ctx, *srvURL, *data, *cfgPath)
	if err != nil {
		return err
	}
	defer c.close()
	id, err := c.create(ctx, *pack)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Conversation %s. Type a message, or /image PATH, /audio PATH, /video PATH, /state, /quit.\n", id)
	in := bufio.NewScanner(os.Stdin)
	for {
		fmt.Fprint(out, "you> ")
		if !in.Scan() {
			return in.Err()
		}
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		files := map[string][]string{}
		text := line
		if cmd, arg, ok := strings.Cut(line, " "); ok && strings.HasPrefix(cmd, "/") {
			switch cmd {
			case "/image", "/audio", "/video":
				files[cmd[1:]] = []string{arg}
				text = ""
			}
		}
		switch line {
		case "/quit", "/exit":
			return nil
		case "/state":
			var conv map[string]any
			if err := c.do(ctx, "GET", "/v1/conversations/"+id, "", nil, &conv); err != nil {
				fmt.Fprintln(out, "error:", err)
				continue
			}
			b, _ := json.MarshalIndent(conv["state"], "", "  ")
			fmt.Fprintln(out, string(b))
			continue
		}
		r, err := c.send(ctx, id, text, files)
		if err != nil {
			fmt.Fprintln(out, "error:", err)
			continue
		}
		printReply(out, r, c.base)
	}
}
