package cdc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// randomBytes returns n pseudo-random bytes, the same for the same seed.
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'c', 'd', 'c'})
	r.Read(b)
	return b
}

func chunkAll(t *testing.T, r io.Reader) (sizes []int, offsets []int64) {
	t.Helper()
	c := NewChunker(r)
	for {
		chunk, off, err := c.Next()
		if err == io.EOF {
			return sizes, offsets
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(chunk))
		offsets = append(offsets, off)
	}
}

// TestGolden pins the gear table and the boundary rule: these boundaries
// must never change, or every stored file stops deduplicating against new
// pushes (see the package doc).
func TestGolden(t *testing.T) {
	data := randomBytes(4<<20, 1)
	sizes, _ := chunkAll(t, bytes.NewReader(data))
	h := sha256.New()
	for _, s := range sizes {
		fmt.Fprintf(h, "%d\n", s)
	}
	got := fmt.Sprintf("%d chunks, first %v, boundaries sha256 %s", len(sizes), sizes[:4], hex.EncodeToString(h.Sum(nil))[:16])
	const want = "68 chunks, first [54934 50618 19285 46758], boundaries sha256 ac9b115b79835433"
	if got != want {
		t.Fatalf("chunk boundaries changed:\n got %s\nwant %s", got, want)
	}
	if g := makeGear(gearSeed); g[0] != gear[0] || g[255] != gear[255] {
		t.Fatal("gear table is not deterministic")
	}
	if fmt.Sprintf("%016x %016x", gear[0], gear[255]) != "1b12479b7fccfd83 098d9d94cbbfc033" {
		t.Fatalf("gear table changed: %016x %016x", gear[0], gear[255])
	}
}

func TestLimitsAndCoverage(t *testing.T) {
	for _, n := range []int{0, 1, MinSize - 1, MinSize, MinSize + 1, MaxSize, MaxSize + 1, 3*bufSize + 12345} {
		data := randomBytes(n, uint64(n))
		sizes, offsets := chunkAll(t, bytes.NewReader(data))
		var total int64
		for i, s := range sizes {
			if offsets[i] != total {
				t.Fatalf("n=%d: chunk %d at offset %d, want %d", n, i, offsets[i], total)
			}
			if s > MaxSize || (s < MinSize && i != len(sizes)-1) {
				t.Fatalf("n=%d: chunk %d has %d bytes, outside [%d, %d]", n, i, s, MinSize, MaxSize)
			}
			total += int64(s)
		}
		if total != int64(n) {
			t.Fatalf("n=%d: chunks cover %d bytes", n, total)
		}
	}
}

func TestAverageSize(t *testing.T) {
	sizes, _ := chunkAll(t, bytes.NewReader(randomBytes(32<<20, 7)))
	avg := (32 << 20) / len(sizes)
	// Expected: MinSize + ~TargetSize, trimmed by MaxSize.
	if avg < 48<<10 || avg > 80<<10 {
		t.Fatalf("average chunk %d bytes, want about 62 KiB (MinSize plus a capped geometric tail)", avg)
	}
}

// TestShiftResynchronises checks the point of CDC: bytes inserted at the
// start change the chunks near the edit only.
func TestShiftResynchronises(t *testing.T) {
	data := randomBytes(16<<20, 3)
	shifted := append(randomBytes(37, 4), data...)
	a := chunkSet(t, data)
	b := chunkSet(t, shifted)
	var shared int
	for k, n := range b {
		if a[k] > 0 {
			shared += n
		}
	}
	if shared < len(data)-2*MaxSize {
		t.Fatalf("after a 37-byte shift only %d of %d bytes are in shared chunks", shared, len(data))
	}
}

func chunkSet(t *testing.T, data []byte) map[[32]byte]int {
	m := map[[32]byte]int{}
	c := NewChunker(bytes.NewReader(data))
	for {
		chunk, _, err := c.Next()
		if err == io.EOF {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		m[sha256.Sum256(chunk)] = len(chunk)
	}
}

func TestShortReadsSameChunks(t *testing.T) {
	data := randomBytes(5<<20+77, 9)
	want, _ := chunkAll(t, bytes.NewReader(data))
	got, _ := chunkAll(t, iotest.HalfReader(iotest.DataErrReader(bytes.NewReader(data))))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatal("short reads changed the chunks")
	}
}

func TestReaderError(t *testing.T) {
	boom := errors.New("boom")
	c := NewChunker(io.MultiReader(bytes.NewReader(randomBytes(MaxSize*3, 2)), iotest.ErrReader(boom)))
	for {
		_, _, err := c.Next()
		if err == nil {
			continue
		}
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want the reader's error", err)
		}
		return
	}
}

func BenchmarkCut(b *testing.B) {
	data := randomBytes(64<<20, 5)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		for rest := data; len(rest) > 0; {
			rest = rest[Cut(rest):]
		}
	}
}

func BenchmarkChunker(b *testing.B) {
	data := randomBytes(64<<20, 5)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		c := NewChunker(bytes.NewReader(data))
		for {
			if _, _, err := c.Next(); err != nil {
				break
			}
		}
	}
}

// FuzzChunker checks the invariants on any input: chunks cover the stream
// in order, within the size limits, whatever the read sizes.
func FuzzChunker(f *testing.F) {
	f.Add([]byte("hello"), uint16(1))
	f.Add(randomBytes(3*MaxSize+5, 1), uint16(4096))
	f.Fuzz(func(t *testing.T, data []byte, step uint16) {
		r := io.Reader(bytes.NewReader(data))
		if step > 0 {
			r = &stepReader{data: data, step: int(step)}
		}
		var got []byte
		c := NewChunker(r)
		for {
			chunk, off, err := c.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if off != int64(len(got)) || len(chunk) > MaxSize || len(chunk) == 0 {
				t.Fatalf("chunk of %d bytes at %d after %d bytes", len(chunk), off, len(got))
			}
			if len(chunk) < MinSize && len(got)+len(chunk) != len(data) {
				t.Fatalf("short chunk of %d bytes before the end", len(chunk))
			}
			if want := Cut(data[off:]); want != len(chunk) {
				t.Fatalf("streamed chunk of %d bytes; Cut over the whole rest says %d", len(chunk), want)
			}
			got = append(got, chunk...)
		}
		if !bytes.Equal(got, data) {
			t.Fatal("chunks do not reassemble the input")
		}
	})
}

// stepReader returns at most step bytes per Read.
type stepReader struct {
	data []byte
	step int
}

func (s *stepReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), s.step)], s.data)
	s.data = s.data[n:]
	return n, nil
}
