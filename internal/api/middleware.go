package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/modelry/modelry/internal/registry"
)

type requestInfoKey struct{}

// requestInfo is what the instrumentation learns while a request runs.
type requestInfo struct {
	id    string
	actor string
}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if ri, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return ri.id
	}
	return ""
}

func setActor(r *http.Request, actor string) {
	if ri, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		ri.actor = actor
	}
}

// instrument wraps a handler with a request id, panic recovery, error
// writing, one structured log line and the route's metrics.
func (h *Handler) instrument(route string, fn handlerFunc) http.Handler {
	m := h.metrics.route(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{id: requestID(r)}
		w.Header().Set("X-Request-Id", ri.id)
		rw := &responseWriter{ResponseWriter: w}
		body := &countingReader{r: r.Body}
		r.Body = body
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, ri))

		err := h.call(fn, rw, r)
		if err != nil {
			if rw.status == 0 {
				writeError(rw, err)
			}
		} else if rw.status == 0 {
			rw.WriteHeader(http.StatusOK)
		}
		elapsed := time.Since(start)
		m.observe(rw.status, elapsed, body.n, rw.n)
		h.logRequest(r, ri, route, rw, body.n, elapsed, err)
	})
}

// call runs fn and turns a panic into an internal error.
func (h *Handler) call(fn handlerFunc, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			err = registry.E(registry.KindInternal, "panic: %v", p)
		}
	}()
	return fn(w, r)
}

func (h *Handler) logRequest(r *http.Request, ri *requestInfo, route string, rw *responseWriter, in int64, d time.Duration, err error) {
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("request_id", ri.id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("route", route), slog.Int("status", rw.status), slog.Duration("duration", d),
		slog.Int64("bytes_in", in), slog.Int64("bytes_out", rw.n), slog.String("actor", ri.actor),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		if rw.status >= 500 {
			level = slog.LevelError
		}
	}
	h.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// requestID takes a sane incoming X-Request-Id or makes a new one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && isToken(id) {
		return id
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func isToken(s string) bool {
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// responseWriter records the status and counts bytes. It forwards ReadFrom
// so that serving files still uses sendfile.
type responseWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, r) // uses the inner ReaderFrom (sendfile)
	w.n += n
	return n, err
}

// Unwrap lets http.ResponseController reach the inner writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type countingReader struct {
	r io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

func statusLabel(status int) string { return strconv.Itoa(status) }
