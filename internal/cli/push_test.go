package cli

import "testing"

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true},
		{"0", 0, true},
		{"1048576", 1 << 20, true},
		{"100M", 100 << 20, true},
		{"100m", 100 << 20, true},
		{"1.5G", 3 << 29, true},
		{"500K", 500 << 10, true},
		{"100M/s", 100 << 20, true},
		{" 2M ", 2 << 20, true},
		{"fast", 0, false},
		{"M", 0, false},
		{"-5M", 0, false},
		{"10T", 0, false},
	} {
		got, err := parseRate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseRate(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
