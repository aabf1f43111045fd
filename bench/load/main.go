// Command load holds many concurrent conversations against running Parley servers and prints the
// latency percentiles and throughput of their turns, per kind: text, and with -voice and -photo
// given, a share of voice notes and check photos (mixed media; with workers configured these go
// through perception jobs). Given several servers (nodes on one database),
// each conversation's turns go round-robin across them, so every turn may land on another node
// than the last. Afterwards it checks that every acknowledged message is stored, and from each
// server's /metrics it reports the server CPU time per turn.
//
//	go run ./bench/load --server http://127.0.0.1:8080 --conversations 1000 --duration 20s
//	go run ./bench/load --server http://10.0.0.11:8080,http://10.0.0.12:8080 --think 1s
//	go run ./bench/load --server A,B --think 1s --voice yes.wav --voice-share 0.05 \
//	    --photo check.jpg --photo-share 0.02 --worker-metrics http://127.0.0.1:9101
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"time"
)

var texts = []string{
	"There's a charge of $42.10 on my card I don't recognize",
	"It was from QuickMart",
	"what are your opening hours",
	"how much money do I have",
	"I lost my card",
	"the last four digits are 4321",
}

func main() {
	serverList := flag.String("server", "http://127.0.0.1:8080", "Parley server URLs, comma-separated (nodes sharing one database)")
	convs := flag.Int("conversations", 1000, "concurrent conversations (one customer each)")
	dur := flag.Duration("duration", 20*time.Second, "how long to hold the load")
	think := flag.Duration("think", 0, "mean pause between a customer's messages (jittered ±50%, starts staggered)")
	pack := flag.String("pack", "bank", "knowledge pack")
	sticky := flag.Bool("sticky", false, "send each conversation to one server instead of round-robin per turn")
	voicePath := flag.String("voice", "", "a voice note (WAV) to send as a share of the turns")
	voiceShare := flag.Float64("voice-share", 0.05, "share of turns that send the voice note (with -voice)")
	photoPath := flag.String("photo", "", "a check photo (JPEG or PNG) to send as a share of the turns")
	photoShare := flag.Float64("photo-share", 0.02, "share of turns that send the photo (with -photo)")
	workerMetrics := flag.String("worker-metrics", "", "workers' metrics URLs, comma-separated, to count their CPU too")
	flag.Parse()
	voice, err := mediaBody(*voicePath, "audio", "note.wav")
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	photo, err := mediaBody(*photoPath, "image", "check.jpg")
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	if voice == nil {
		*voiceShare = 0
	}
	if photo == nil {
		*photoShare = 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *convs, MaxConnsPerHost: *convs}, Timeout: 30 * time.Second}
	servers := strings.Split(*serverList, ",")
	server := &servers[0]

	ids := make([]string, *convs)
	for i := range ids {
		body, _ := json.Marshal(map[string]string{"pack": *pack})
		resp, err := client.Post(*server+"/v1/conversations", "application/json", bytes.NewReader(body))
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		var out struct{ ID string }
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		ids[i] = out.ID
	}
	ctx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies = map[string][]time.Duration{}
		errs      = map[string]int{}
		why       = map[string]int{} // errors by kind and cause
		wg        sync.WaitGroup
		acked     = make([]int, len(ids)) // acknowledged turns per conversation
	)
	var workers []string
	if *workerMetrics != "" {
		workers = strings.Split(*workerMetrics, ",")
	}
	cpu0, wcpu0 := cpuSeconds(client, servers), cpuSeconds(client, workers)
	start := time.Now()
	for i, id := range ids {
		wg.Add(1)
		go func(i int, id string) {
			defer wg.Done()
			mine := map[string][]time.Duration{}
			bad, cause := map[string]int{}, map[string]int{}
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			if *think > 0 { // customers do not all start typing at the same instant
				time.Sleep(time.Duration(rng.Int64N(int64(*think))))
			}
			// send posts one turn and records it under kind.
			send := func(n int, kind string, body []byte, ctype string) {
				t0 := time.Now()
				node := servers[n%len(servers)]
				if *sticky {
					node = servers[i%len(servers)]
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", node+"/v1/conversations/"+id+"/messages", bytes.NewReader(body))
				req.Header.Set("Content-Type", ctype)
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad[kind]++
						cause[kind+": "+errorCause(err)]++
					}
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad[kind]++
					cause[kind+": "+resp.Status]++
					return
				}
				mine[kind] = append(mine[kind], time.Since(t0))
				acked[i]++
			}
			text := func(s string) []byte { b, _ := json.Marshal(map[string]string{"text": s}); return b }
			for n := i; ctx.Err() == nil; n++ {
				switch r := rng.Float64(); {
				case r < *voiceShare:
					send(n, "voice", voice.data, voice.ctype)
				case r < *voiceShare+*photoShare:
					// a photo is read as a check where the customer asked to deposit one
					send(n, "text", text("I want to deposit a check"), "application/json")
					n++
					send(n, "photo", photo.data, photo.ctype)
				default:
					send(n, "text", text(texts[n%len(texts)]), "application/json")
				}
				if *think > 0 {
					time.Sleep(*think/2 + time.Duration(rng.Int64N(int64(*think))))
				}
			}
			mu.Lock()
			for k, l := range mine {
				latencies[k] = append(latencies[k], l...)
			}
			for k, n := range bad {
				errs[k] += n
			}
			for k, n := range cause {
				why[k] += n
			}
			mu.Unlock()
		}(i, id)
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu, wcpu := cpuSeconds(client, servers)-cpu0, cpuSeconds(client, workers)-wcpu0
	turns, errors := 0, 0
	for _, k := range []string{"text", "voice", "photo"} {
		l := latencies[k]
		if len(l) == 0 && errs[k] == 0 {
			continue
		}
		turns += len(l)
		errors += errs[k]
		sort.Slice(l, func(a, b int) bool { return l[a] < l[b] })
		pct := func(p float64) time.Duration {
			if len(l) == 0 {
				return 0
			}
			return l[min(len(l)-1, int(p*float64(len(l))))]
		}
		fmt.Printf("%-5s turns=%d errors=%d p50=%s p90=%s p99=%s\n", k, len(l), errs[k], pct(0.5), pct(0.9), pct(0.99))
	}
	fmt.Printf("conversations=%d turns=%d errors=%d elapsed=%s turns/s=%.0f\n", *convs, turns, errors, elapsed.Round(time.Millisecond), float64(turns)/elapsed.Seconds())
	if turns > 0 && cpu > 0 {
		fmt.Printf("nodes=%d server_cpu=%.1fs cpu_per_turn=%.0fus\n", len(servers), cpu, cpu/float64(turns)*1e6)
	}
	if len(workers) > 0 {
		fmt.Printf("workers=%d worker_cpu=%.1fs\n", len(workers), wcpu)
	}
	for k, n := range why {
		fmt.Printf("error %s: %d\n", k, n)
	}
	lost := 0
	for i, id := range ids {
		n, err := storedMessages(client, servers[i%len(servers)], id)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		// A turn cut off by the end of the run may be stored without its answer having arrived.
		if n < acked[i] {
			lost += acked[i] - n
		}
	}
	fmt.Printf("lost=%d (acknowledged messages missing from the store)\n", lost)
	if errors > 0 || lost > 0 {
		os.Exit(1)
	}
}

// errorCause names a transport error briefly (a timeout, a refused connection).
func errorCause(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "client timeout"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// media is a prepared multipart body with one file.
type media struct {
	data  []byte
	ctype string
}

// mediaBody reads path into a multipart form with the file in field; nil for an empty path.
func mediaBody(path, field, name string) (*media, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		return nil, err
	}
	fw.Write(raw)
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return &media{data: buf.Bytes(), ctype: mw.FormDataContentType()}, nil
}

// cpuSeconds sums process_cpu_seconds_total over the servers' /metrics.
func cpuSeconds(client *http.Client, servers []string) float64 {
	total := 0.0
	for _, s := range servers {
		resp, err := client.Get(s + "/metrics")
		if err != nil {
			return 0
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(body), "\n") {
			var v float64
			if _, err := fmt.Sscanf(line, "process_cpu_seconds_total %g", &v); err == nil {
				total += v
			}
		}
	}
	return total
}

// storedMessages counts a conversation's customer messages as a server reads them from the store.
func storedMessages(client *http.Client, server, id string) (int, error) {
	resp, err := client.Get(server + "/v1/conversations/" + id)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var v struct {
		Messages []struct {
			Role string `json:"role"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return 0, fmt.Errorf("conversation %s: %w", id, err)
	}
	n := 0
	for _, m := range v.Messages {
		if m.Role == "customer" {
			n++
		}
	}
	return n, nil
}
