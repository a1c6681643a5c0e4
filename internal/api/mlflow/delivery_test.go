package mlflow

import "testing"

// TestSign pins the signature to one computed with Python's hmac, as the
// MLflow documentation's receiver verifies it.
func TestSign(t *testing.T) {
	got := Sign("k", "id1", "1700000000", []byte(`{"a":1}`))
	if want := "v1,FO2mgBpaeFZ6i+UZyd/MQvAu2RnyqBYwbj+9SXeEX5U="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}
