package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// BenchmarkResolveByAlias measures GET /api/v1/resolve?ref=NAME@production
// over loopback against real stores, with parallel keep-alive clients.
func BenchmarkResolveByAlias(b *testing.B) {
	a := startAPI(b, false)
	const models = 50
	for i := range models {
		a.push(fmt.Sprintf("m%d", i), map[string]string{"model.bin": "w", "config.json": "{}"}, map[string]any{"aliases": []string{"production"}})
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	hc := &http.Client{Transport: tr}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			req, _ := http.NewRequest("GET", a.url+"/api/v1/resolve?ref="+url.QueryEscape(fmt.Sprintf("m%d@production", i%models)), nil)
			req.Header.Set("Authorization", "Bearer "+a.reader)
			res, err := hc.Do(req)
			if err != nil || res.StatusCode != 200 {
				b.Fatalf("%v %v", res, err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			i++
		}
	})
}
