//go:build linux

// Package load drives an HTTP server with a fixed number of concurrent
// workers, each sending its next request as soon as the previous one is
// answered over a kept-alive connection (a closed loop), and reports the rate
// and the latency percentiles the client saw. What the requests are is the
// caller's business.
package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Result is what one Run measured.
type Result struct {
	Requests   int           // answered with the wanted status inside the window
	Errors     int           // transport errors and unwanted statuses
	FirstError string        // the first of them, to say what went wrong
	Window     time.Duration // measured time (after warm-up)
	Rate       float64       // Requests per second
	P50, P99   time.Duration
	Max        time.Duration
}

// NewRequest builds the i-th request of a worker.
type NewRequest func(worker, i int) (*http.Request, error)

// NewClient returns a client whose pool keeps one connection per worker.
func NewClient(workers int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        workers,
		MaxIdleConnsPerHost: workers,
		MaxConnsPerHost:     workers,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}}
}

// Run sends requests from workers goroutines for warmup (not measured, to
// open connections and warm caches) and then for d, and returns the
// measured window's result. Only requests started inside the window count.
func Run(ctx context.Context, client *http.Client, workers int, warmup, d time.Duration, want int, next NewRequest) Result {
	start := time.Now().Add(warmup)
	end := start.Add(d)
	lat := make([][]time.Duration, workers)
	errs := make([]int, workers)
	var firstErr sync.Once
	var first string
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				err := do(client, next, w, i, want)
				el := time.Since(t0)
				if t0.Before(start) {
					continue
				}
				if err != nil {
					errs[w]++
					firstErr.Do(func() { first = err.Error() })
					continue
				}
				lat[w] = append(lat[w], el)
			}
		})
	}
	wg.Wait()
	return summarize(lat, errs, first, d)
}

func do(client *http.Client, next NewRequest, w, i, want int) error {
	req, err := next(w, i)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d", req.Method, req.URL.Path, resp.StatusCode, want)
	}
	return nil
}

func summarize(lat [][]time.Duration, errs []int, first string, d time.Duration) Result {
	var all []time.Duration
	r := Result{Window: d, FirstError: first}
	for w := range lat {
		all = append(all, lat[w]...)
		r.Errors += errs[w]
	}
	r.Requests = len(all)
	r.Rate = float64(r.Requests) / d.Seconds()
	if len(all) == 0 {
		return r
	}
	slices.Sort(all)
	r.P50 = Percentile(all, 0.50)
	r.P99 = Percentile(all, 0.99)
	r.Max = all[len(all)-1]
	return r
}

// Percentile returns the q-quantile (0..1) of sorted durations, nearest rank.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
