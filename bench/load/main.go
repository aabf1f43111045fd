// Command load holds many concurrent conversations against a running Parley server and prints
// the latency percentiles and throughput of text turns.
//
//	go run ./bench/load --server http://127.0.0.1:8080 --conversations 1000 --duration 20s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"sort"
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
	server := flag.String("server", "http://127.0.0.1:8080", "Parley server URL")
	convs := flag.Int("conversations", 1000, "concurrent conversations (one customer each)")
	dur := flag.Duration("duration", 20*time.Second, "how long to hold the load")
	think := flag.Duration("think", 0, "mean pause between a customer's messages (jittered ±50%, starts staggered)")
	pack := flag.String("pack", "bank", "knowledge pack")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *convs, MaxConnsPerHost: *convs}, Timeout: 30 * time.Second}

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
		latencies []time.Duration
		errors    int
		wg        sync.WaitGroup
	)
	start := time.Now()
	for i, id := range ids {
		wg.Add(1)
		go func(i int, id string) {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			if *think > 0 { // customers do not all start typing at the same instant
				time.Sleep(time.Duration(rng.Int64N(int64(*think))))
			}
			for n := i; ctx.Err() == nil; n++ {
				body, _ := json.Marshal(map[string]string{"text": texts[n%len(texts)]})
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, "POST", *server+"/v1/conversations/"+id+"/messages", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
				if *think > 0 {
					time.Sleep(*think/2 + time.Duration(rng.Int64N(int64(*think))))
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			errors += bad
			mu.Unlock()
		}(i, id)
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(latencies, func(a, b int) bool { return latencies[a] < latencies[b] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	fmt.Printf("conversations=%d turns=%d errors=%d elapsed=%s\n", *convs, len(latencies), errors, elapsed.Round(time.Millisecond))
	fmt.Printf("p50=%s p90=%s p99=%s turns/s=%.0f\n", pct(0.5), pct(0.9), pct(0.99), float64(len(latencies))/elapsed.Seconds())
}
