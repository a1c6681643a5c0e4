package tracking

import (
	"encoding/json"
	"math"
	"strconv"
)

// metricJSON is Metric on the wire and on disk. JSON has no NaN or
// infinities, so those travel as "NaN", "Infinity" and "-Infinity", as
// MLflow sends them.
type metricJSON struct {
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	Timestamp int64           `json:"timestamp"`
	Step      int64           `json:"step"`
	ModelID   string          `json:"model_id,omitempty"`
}

// MarshalJSON encodes non-finite values as strings.
func (m Metric) MarshalJSON() ([]byte, error) {
	var v string
	switch {
	case math.IsNaN(m.Value):
		v = `"NaN"`
	case math.IsInf(m.Value, 1):
		v = `"Infinity"`
	case math.IsInf(m.Value, -1):
		v = `"-Infinity"`
	default:
		v = strconv.FormatFloat(m.Value, 'g', -1, 64)
	}
	return json.Marshal(metricJSON{Key: m.Key, Value: json.RawMessage(v), Timestamp: m.Timestamp, Step: m.Step, ModelID: m.ModelID})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Metric) UnmarshalJSON(b []byte) error {
	var j metricJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Metric{Key: j.Key, Timestamp: j.Timestamp, Step: j.Step, ModelID: j.ModelID}
	switch string(j.Value) {
	case `"NaN"`:
		m.Value = math.NaN()
	case `"Infinity"`:
		m.Value = math.Inf(1)
	case `"-Infinity"`:
		m.Value = math.Inf(-1)
	case "", "null":
	default:
		return json.Unmarshal(j.Value, &m.Value)
	}
	return nil
}
