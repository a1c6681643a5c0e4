package tracking

import (
	"encoding/json"
	"math"
	"testing"
)

func TestMetricJSONRoundTrip(t *testing.T) {
	for _, v := range []float64{0, 0.75, -3e300, math.NaN(), math.Inf(1), math.Inf(-1)} {
		b, err := json.Marshal(Metric{Key: "k", Value: v, Timestamp: 1, Step: 2})
		if err != nil {
			t.Fatalf("marshal %v: %v", v, err)
		}
		var got Metric
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if !(got.Value == v || math.IsNaN(v) && math.IsNaN(got.Value)) || got.Step != 2 {
			t.Errorf("%v -> %s -> %+v", v, b, got)
		}
	}
}
