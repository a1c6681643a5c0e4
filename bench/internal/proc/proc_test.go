//go:build linux

package proc

import (
	"os"
	"strings"
	"testing"
)

func TestFindSample(t *testing.T) {
	const text = `# HELP modelry_http_request_bytes_total Request body bytes received, by route.
# TYPE modelry_http_request_bytes_total counter
modelry_http_request_bytes_total{route="GET /api/v1/blobs/{digest}"} 0
modelry_http_request_bytes_total{route="PUT /api/v1/blobs/{digest}"} 1.073741824e+09
modelry_versions_stored 100000
`
	tests := []struct {
		name, labels string
		want         float64
		wantErr      bool
	}{
		{"modelry_http_request_bytes_total", `route="PUT /api/v1/blobs/{digest}"`, 1 << 30, false},
		{"modelry_http_request_bytes_total", `route="GET /api/v1/blobs/{digest}"`, 0, false},
		{"modelry_versions_stored", "", 100000, false},
		{"modelry_versions", "", 0, true}, // a prefix of a name is not the name
		{"modelry_http_request_bytes_total", `route="POST /x"`, 0, true},
	}
	for _, tt := range tests {
		got, err := findSample(strings.NewReader(text), tt.name, tt.labels)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("findSample(%s{%s}) = %v, %v; want %v, error %v", tt.name, tt.labels, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestReadMemoryOfThisProcess(t *testing.T) {
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("ReadMemory = %+v; want 0 < RSS <= Peak", m)
	}
}
