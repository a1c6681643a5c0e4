//go:build linux

package bench

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestMedianRows(t *testing.T) {
	row := func(v, r float64, result string) Row {
		return Row{Name: "x", Value: v, Ratio: r, Target: "≤ 0.50×", Result: result}
	}
	runs := [][]Row{{row(1, 0.4, "PASS")}, {row(3, 0.9, "MISS")}, {row(2, 0.6, "MISS")}}
	got := medianRows(runs)[0]
	if got.Value != 2 || got.Ratio != 0.6 || got.Result != "MISS" || len(got.Runs) != 3 {
		t.Fatalf("medianRows = %+v; want value 2, ratio 0.6, MISS, 3 runs", got)
	}
	if _, _, ok := parseTarget("= 0"); ok {
		t.Fatal(`parseTarget("= 0") should not be a ratio target`)
	}
}

// TestSafetensorsVersions checks the benchmark's files: a valid header
// whose offsets cover the data, the same sizes for v1 and v2, and a v3
// header exactly 37 bytes longer.
func TestSafetensorsVersions(t *testing.T) {
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "1"), filepath.Join(dir, "2"), filepath.Join(dir, "3")}
	if err := writeSafetensorsVersions(4<<20, paths[0], paths[1], paths[2]); err != nil {
		t.Fatal(err)
	}
	var files [3][]byte
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = b
	}
	n := binary.LittleEndian.Uint64(files[0])
	var header map[string]tensor
	if err := json.Unmarshal(files[0][8:8+n], &header); err != nil || len(header) != 100 {
		t.Fatalf("header of %d tensors (%v); want 100", len(header), err)
	}
	var end int64
	for _, tt := range header {
		end = max(end, tt.DataOffsets[1])
	}
	if int64(len(files[0])) != 8+int64(n)+end {
		t.Fatalf("file has %d bytes; header says %d", len(files[0]), 8+int64(n)+end)
	}
	if len(files[1]) != len(files[0]) || len(files[2]) != len(files[0])+37 {
		t.Fatalf("sizes %d, %d, %d; want v2 = v1 and v3 = v1 + 37", len(files[0]), len(files[1]), len(files[2]))
	}
	if binary.LittleEndian.Uint64(files[2]) != n+37 {
		t.Fatal("v3's header is not 37 bytes longer")
	}
}
