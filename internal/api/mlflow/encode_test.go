package mlflow

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
)

// nastyStrings covers every escaping rule of encoding/json.
var nastyStrings = []string{
	"", "iris", "a\"b\\c", "\b\f\n\r\t", "\x00\x01\x1f\x7f", "<script>&amp;</script>",
	"Ébène ✓ 🚀", "\u2028\u2029", "bad \xff\xfe utf-8 \xe2\x82", "tail \xe2",
}

func randomWireVersion(r *rand.Rand) modelVersionJSON {
	s := func() string {
		return nastyStrings[r.IntN(len(nastyStrings))] + nastyStrings[r.IntN(len(nastyStrings))]
	}
	v := modelVersionJSON{
		Name: s(), Version: "12", CreationTimestamp: r.Int64N(1 << 42), LastUpdatedTimestamp: -r.Int64N(5),
		UserID: s(), CurrentStage: s(), Description: s(), Source: s(), RunID: s(), Status: "READY", RunLink: s(),
	}
	for range r.IntN(3) {
		v.Tags = append(v.Tags, keyValue{Key: s(), Value: s()})
		v.Aliases = append(v.Aliases, s())
	}
	if r.IntN(4) == 0 {
		v.Tags, v.Aliases = []keyValue{}, []string{}
	}
	return v
}

// TestWriteVersionsMatchesEncodingJSON checks the hand-written encoder
// against encoding/json, byte for byte, on generated answers.
func TestWriteVersionsMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for i := range 2000 {
		resp := searchVersionsResponse{}
		for range r.IntN(4) {
			resp.Versions = append(resp.Versions, randomWireVersion(r))
		}
		if r.IntN(2) == 0 {
			resp.Next = pageToken(r.IntN(1000))
		}
		if i%7 == 0 {
			resp.Versions = []modelVersionJSON{}
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(resp); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if err := writeVersions(rec, resp); err != nil {
			t.Fatal(err)
		}
		if got := rec.Body.String(); got != want.String() {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want.String())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
	}
}

func BenchmarkWriteVersions(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	resp := searchVersionsResponse{}
	for range 10_000 {
		v := modelVersionJSON{Name: "bench", Version: "1234", CreationTimestamp: 1764100000000, LastUpdatedTimestamp: 1764100000000,
			UserID: "ci-writer", CurrentStage: "None", Source: "s3://bucket/bench/1234", Status: "READY"}
		if r.IntN(10) == 0 {
			v.Tags = []keyValue{{Key: "team", Value: "vision"}}
		}
		resp.Versions = append(resp.Versions, v)
	}
	b.Run("hand", func(b *testing.B) {
		for b.Loop() {
			writeVersions(httptest.NewRecorder(), resp)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			writeJSON(httptest.NewRecorder(), 200, resp)
		}
	})
}
