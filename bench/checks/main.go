// Command checks compares Parley's check reading with the raw tesseract command line on the same
// images: it runs `tesseract IMAGE stdout` on each image of a truth.jsonl set (one OpenMP thread),
// extracts the fields from the plain text with simple patterns, runs `parley eval checks -json`
// on the same set, and prints both accuracies and times side by side.
//
//	go build -o /tmp/parley ./cmd/parley
//	/tmp/parley gen checks --n 25 --out /tmp/checks --degrade sharp,blur2,jpeg30,rot3
//	go run ./bench/checks -dir /tmp/checks -parley /tmp/parley
//
// bench/checks/mkset.sh renders a plainer set (no MICR line) with ImageMagick alone. Wall times
// depend on what else the machine runs; the cpu/image row does not.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/perception/check"
)

var fields = []string{"amount", "legal_amount", "routing", "account", "check_number", "date"}

type truth struct {
	File        string `json:"file"`
	Image       string `json:"image"`
	Degradation string `json:"degradation"`
	Amount      any    `json:"amount"`
	LegalAmount string `json:"legal_amount"`
	Routing     string `json:"routing"`
	Account     string `json:"account"`
	CheckNumber string `json:"check_number"`
	Date        string `json:"date"`
}

var (
	amountRe = regexp.MustCompile(`\$\s*([\d,]+\.\d\d)`)
	routeRe  = regexp.MustCompile(`\b\d{9}\b`)
	numRe    = regexp.MustCompile(`(?m)^\s*(\d{3,6})\s*$|\b(\d{3,6})\s*$`)
)

// fromText extracts the fields from tesseract's plain text output the way a simple script would.
func fromText(s string) map[string]string {
	out := map[string]string{}
	if m := amountRe.FindStringSubmatch(s); m != nil {
		out["amount"] = strings.ReplaceAll(m[1], ",", "")
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "/100") {
			if v, err := check.ParseLegal(line); err == nil {
				out["legal_amount"] = strconv.FormatFloat(v, 'f', 2, 64)
				break
			}
		}
	}
	if d, err := check.ParseDate(s); err == nil {
		out["date"] = d.Format(time.DateOnly)
	}
	if m := routeRe.FindString(s); m != "" {
		out["routing"] = m
	}
	lines := strings.Split(s, "\n")
	for _, l := range lines[:min(len(lines), 6)] {
		if m := numRe.FindStringSubmatch(l); m != nil {
			out["check_number"] = m[1] + m[2]
			break
		}
	}
	return out
}

func want(t truth, f string) string {
	switch f {
	case "amount":
		switch v := t.Amount.(type) {
		case float64:
			return strconv.FormatFloat(v, 'f', 2, 64)
		case string:
			return strings.ReplaceAll(v, ",", "")
		}
	case "legal_amount":
		if v, err := check.ParseLegal(t.LegalAmount); err == nil {
			return strconv.FormatFloat(v, 'f', 2, 64)
		}
	case "routing":
		return t.Routing
	case "account":
		return t.Account
	case "check_number":
		return strings.TrimLeft(t.CheckNumber, "0")
	case "date":
		if d, err := check.ParseDate(t.Date); err == nil {
			return d.Format(time.DateOnly)
		}
	}
	return ""
}

func same(f, got, w string) bool {
	if f == "amount" || f == "legal_amount" {
		a, e1 := strconv.ParseFloat(got, 64)
		b, e2 := strconv.ParseFloat(w, 64)
		return e1 == nil && e2 == nil && math.Abs(a-b) < 0.005
	}
	if f == "check_number" {
		got = strings.TrimLeft(got, "0")
	}
	return got == w
}

func main() {
	dir := flag.String("dir", "", "directory with images and truth.jsonl")
	parley := flag.String("parley", "parley", "parley binary")
	n := flag.Int("n", 0, "use at most this many images (0: all)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: checks -dir DIR [-parley BIN] [-n N]")
		os.Exit(2)
	}
	f, err := os.Open(filepath.Join(*dir, "truth.jsonl"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var set []truth
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var t truth
		if json.Unmarshal(sc.Bytes(), &t) == nil {
			if t.File == "" {
				t.File = t.Image
			}
			set = append(set, t)
		}
	}
	f.Close()
	if *n > 0 && *n < len(set) {
		set = set[:*n]
	}

	ok, total := map[string]int{}, map[string]int{}
	var times []float64
	var tessCPU time.Duration
	for i, t := range set {
		cmd := exec.Command("tesseract", filepath.Join(*dir, t.File), "stdout")
		cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
		start := time.Now()
		text, err := cmd.Output()
		times = append(times, float64(time.Since(start).Milliseconds()))
		if cmd.ProcessState != nil {
			tessCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "tesseract:", t.File, err)
		}
		got := fromText(string(text))
		for _, fl := range fields {
			w := want(t, fl)
			if w == "" {
				continue
			}
			total[fl]++
			if same(fl, got[fl], w) {
				ok[fl]++
			}
		}
		fmt.Fprintf(os.Stderr, "\rtesseract %d/%d", i+1, len(set))
	}
	fmt.Fprintln(os.Stderr)

	args := []string{"eval", "checks", "-json", "-j", "1"}
	if *n > 0 {
		args = append(args, "-n", strconv.Itoa(*n))
	}
	var out bytes.Buffer
	cmd := exec.Command(*parley, append(args, *dir)...)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "parley eval checks:", err)
		os.Exit(1)
	}
	parleyCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	var p struct {
		ByField  map[string]float64 `json:"by_field"`
		Overall  float64            `json:"overall_accuracy"`
		MedianMS float64            `json:"median_ms"`
		P90MS    float64            `json:"p90_ms"`
	}
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		fmt.Fprintln(os.Stderr, "parley eval checks output:", err)
		os.Exit(1)
	}

	slices.Sort(times)
	fmt.Printf("%d images in %s\n\n%-14s %12s %12s\n", len(set), *dir, "field", "tesseract", "parley")
	var tOK, tN int
	for _, fl := range fields {
		if total[fl] == 0 {
			continue
		}
		tOK += ok[fl]
		tN += total[fl]
		fmt.Printf("%-14s %11.1f%% %11.1f%%\n", fl, 100*float64(ok[fl])/float64(total[fl]), 100*p.ByField[fl])
	}
	if tN > 0 {
		fmt.Printf("%-14s %11.1f%% %11.1f%%\n", "all", 100*float64(tOK)/float64(tN), 100*p.Overall)
	}
	if len(times) > 0 {
		fmt.Printf("%-14s %10.0fms %10.0fms\n", "median", times[len(times)/2], p.MedianMS)
		fmt.Printf("%-14s %10.0fms %10.0fms\n", "p90", times[min(len(times)-1, len(times)*9/10)], p.P90MS)
		// CPU time is what one core spends per image, whatever else the machine runs.
		per := func(d time.Duration) float64 { return float64(d.Milliseconds()) / float64(len(set)) }
		fmt.Printf("%-14s %10.0fms %10.0fms\n", "cpu/image", per(tessCPU), per(parleyCPU))
	}
}
