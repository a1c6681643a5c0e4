package client

import (
	"context"
	"io"
	"sync"
	"time"
)

// WithUploadRateLimit caps the bytes per second of upload bodies, summed
// over all uploads of the client (a token bucket, as rclone's --bwlimit
// does). 0 means no limit. Rate-limited bodies lose sendfile.
func WithUploadRateLimit(bytesPerSecond int64) Option {
	return func(c *Client) {
		if bytesPerSecond > 0 {
			c.limiter = &tokenBucket{rate: float64(bytesPerSecond), burst: float64(max(bytesPerSecond/10, 64<<10)), last: time.Now()}
		}
	}
}

// tokenBucket hands out bytes at rate per second, with up to burst saved.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// wait blocks until n bytes may be sent.
func (b *tokenBucket) wait(ctx context.Context, n int) error {
	b.mu.Lock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= float64(n)
	var delay time.Duration
	if b.tokens < 0 {
		delay = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	b.mu.Unlock()
	if delay == 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limitedReader paces reads of an upload body through the client's bucket.
type limitedReader struct {
	ctx context.Context
	r   io.Reader
	b   *tokenBucket
}

func (l limitedReader) Read(p []byte) (int, error) {
	if len(p) > 256<<10 {
		p = p[:256<<10] // small steps keep the pace smooth
	}
	n, err := l.r.Read(p)
	if n > 0 {
		if werr := l.b.wait(l.ctx, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}

// limitBody wraps an upload body when a rate limit is set.
func (c *Client) limitBody(ctx context.Context, r io.Reader) io.Reader {
	if c.limiter == nil || r == nil {
		return r
	}
	return limitedReader{ctx: ctx, r: r, b: c.limiter}
}
