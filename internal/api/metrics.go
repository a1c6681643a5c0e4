package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/modelry/modelry/internal/registry"
)

// Metrics are the server's own Prometheus metrics, in their own registry.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	bytesIn  *prometheus.CounterVec
	bytesOut *prometheus.CounterVec
}

// BlobUsage is implemented by blob stores that can report what they hold.
type BlobUsage interface {
	Usage() (count, bytes int64)
}

// NewMetrics builds the metrics, with gauges that ask svc what is stored.
func NewMetrics(svc *registry.Service) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modelry_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "modelry_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modelry_http_request_bytes_total", Help: "Request body bytes received, by route.",
		}, []string{"route"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "modelry_http_response_bytes_total", Help: "Response body bytes sent, by route.",
		}, []string{"route"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.bytesIn, m.bytesOut,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "modelry_versions_stored", Help: "Live (not deleted) model versions.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := svc.Stats(ctx)
		if err != nil {
			return -1
		}
		return float64(st.Versions)
	}))
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "modelry_gc_deleted_blobs_total", Help: "Blobs deleted by garbage collection."},
			func() float64 { n, _ := svc.GCTotals(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "modelry_gc_reclaimed_bytes_total", Help: "Bytes reclaimed by garbage collection."},
			func() float64 { _, b := svc.GCTotals(); return float64(b) }),
	)
	if u, ok := svc.Blobs().(BlobUsage); ok {
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "modelry_blobs_stored", Help: "Blobs in the content-addressed store."},
				func() float64 { n, _ := u.Usage(); return float64(n) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "modelry_blob_bytes_stored", Help: "Bytes in the content-addressed store."},
				func() float64 { _, b := u.Usage(); return float64(b) }),
		)
	}
	if ix, ok := svc.Blobs().(ChunkIndexer); ok {
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "modelry_chunk_index_pending", Help: "Stored files waiting to have their chunks indexed for chunk-level dedup.",
			}, func() float64 { return float64(ix.IndexPending()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "modelry_chunks_indexed", Help: "Distinct content-defined chunks the dedup index knows.",
			}, func() float64 { return float64(ix.ChunksIndexed()) }),
		)
	}
	return m
}

// ChunkIndexer is implemented by blob stores that index chunks in the
// background.
type ChunkIndexer interface {
	IndexPending() int64
	ChunksIndexed() int
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// routeMetrics are one route's children of the vectors, resolved once.
type routeMetrics struct {
	m        *Metrics
	route    string
	latency  prometheus.Observer
	bytesIn  prometheus.Counter
	bytesOut prometheus.Counter
}

func (m *Metrics) route(route string) *routeMetrics {
	return &routeMetrics{
		m: m, route: route,
		latency:  m.latency.WithLabelValues(route),
		bytesIn:  m.bytesIn.WithLabelValues(route),
		bytesOut: m.bytesOut.WithLabelValues(route),
	}
}

func (rm *routeMetrics) observe(status int, d time.Duration, in, out int64) {
	rm.m.requests.WithLabelValues(rm.route, statusLabel(status)).Inc()
	rm.latency.Observe(d.Seconds())
	rm.bytesIn.Add(float64(in))
	rm.bytesOut.Add(float64(out))
}
