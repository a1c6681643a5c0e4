package client

// SetStagingSizes makes segments and upload batches small, so tests of a
// few MiB exercise uploads that start while a file is still being chunked.
func SetStagingSizes(segment int, flush int64) (restore func()) {
	oldSegment, oldFlush := segmentChunks, flushSize
	segmentChunks, flushSize = segment, flush
	return func() { segmentChunks, flushSize = oldSegment, oldFlush }
}
