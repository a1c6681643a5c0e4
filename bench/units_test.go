//go:build linux

package bench

import (
	"testing"
)

func TestSizeFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"1GiB", 1 << 30, false},
		{"64MiB", 64 << 20, false},
		{"5 GiB", 5 << 30, false},
		{"500MB", 500e6, false},
		{"4096", 4096, false},
		{"1.5GiB", 3 << 29, false},
		{"", 0, true},
		{"-1GiB", 0, true},
		{"lots", 0, true},
	}
	for _, tt := range tests {
		var s size
		err := s.Set(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && int64(s) != tt.want) {
			t.Errorf("size.Set(%q) = %d, %v; want %d, error %v", tt.in, s, err, tt.want, tt.wantErr)
		}
	}
	if got := size(5 << 30).String(); got != "5GiB" {
		t.Errorf("String() = %q, want 5GiB", got)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{0.9, 0.2, 1.1}, 0.9},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCreateTargetsAreDisjointPerWorker(t *testing.T) {
	const models = 1000
	for _, c := range []int{1, 8, 32} {
		owner := map[int]int{}
		for w := range c {
			for n := range 500 {
				m := createTarget(w, n, c, models)
				if m < 0 || m >= models {
					t.Fatalf("c=%d: worker %d targets model %d, outside [0,%d)", c, w, m, models)
				}
				if o, ok := owner[m]; ok && o != w {
					t.Fatalf("c=%d: model %d is targeted by workers %d and %d", c, m, o, w)
				}
				owner[m] = w
			}
		}
	}
}

func TestParseFlagsRejectsUnknownBenchmark(t *testing.T) {
	if _, err := parseFlags([]string{"-only", "transfer,speed"}, testWriter{t}); err == nil {
		t.Error("parseFlags accepted -only speed")
	}
	c, err := parseFlags([]string{"-only", "transfer,metadata", "-skip-5gib"}, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	if !c.enabled(benchTransfer) || c.enabled(benchMemory) || !c.enabled(benchMetadata) {
		t.Errorf("enabled: transfer %v memory %v metadata %v", c.enabled(benchTransfer), c.enabled(benchMemory), c.enabled(benchMetadata))
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
