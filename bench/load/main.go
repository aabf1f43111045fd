// Command load holds many concurrent conversations against running Parley servers and prints the
// latency percentiles and throughput of text turns. Given several servers (nodes on one database),
// each conversation's turns go round-robin across them, so every turn may land on another node
// than the last. Afterwards it checks that every acknowledged message is stored, and from each
// server's /metrics it reports the server CPU time per turn.
//
//	go run ./bench/load --server http://127.0.0.1:8080 --conversations 1000 --duration 20s
//	go run ./bench/load --server http://10.0.0.11:8080,http://10.0.0.12:8080 --think 1s
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
	flag.Parse()
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
		latencies []time.Duration
		errors    int
		wg        sync.WaitGroup
		acked     = make([]int, len(ids)) // acknowledged turns per conversation
	)
	cpu0 := cpuSeconds(client, servers)
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
				node := servers[n%len(servers)]
				if *sticky {
					node = servers[i%len(servers)]
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", node+"/v1/conversations/"+id+"/messages", bytes.NewReader(body))
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
				acked[i]++
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
	cpu := cpuSeconds(client, servers) - cpu0
	sort.Slice(latencies, func(a, b int) bool { return latencies[a] < latencies[b] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	fmt.Printf("conversations=%d turns=%d errors=%d elapsed=%s\n", *convs, len(latencies), errors, elapsed.Round(time.Millisecond))
	fmt.Printf("p50=%s p90=%s p99=%s turns/s=%.0f\n", pct(0.5), pct(0.9), pct(0.99), float64(len(latencies))/elapsed.Seconds())
	if len(latencies) > 0 && cpu > 0 {
		fmt.Printf("nodes=%d server_cpu=%.1fs cpu_per_turn=%.0fus\n", len(servers), cpu, cpu/float64(len(latencies))*1e6)
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
