//go:build linux

package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := Percentile(d, tt.q); got != tt.want {
			t.Errorf("Percentile(1..100ms, %v) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestRunCountsAnswersAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	next := func(path string) NewRequest {
		return func(int, int) (*http.Request, error) { return http.NewRequest(http.MethodGet, srv.URL+path, nil) }
	}
	ok := Run(context.Background(), NewClient(2), 2, 20*time.Millisecond, 100*time.Millisecond, http.StatusOK, next("/"))
	if ok.Requests == 0 || ok.Errors != 0 || ok.Rate <= 0 || ok.P99 < ok.P50 {
		t.Errorf("good server: %+v", ok)
	}
	bad := Run(context.Background(), NewClient(2), 2, 0, 50*time.Millisecond, http.StatusOK, next("/bad"))
	if bad.Requests != 0 || bad.Errors == 0 || bad.FirstError == "" {
		t.Errorf("server answering 418: %+v", bad)
	}
}
