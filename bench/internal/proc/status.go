//go:build linux

// Package proc runs the modelry binary under test as child processes (the
// server and the CLI) and reads what the kernel knows about them: peak
// resident memory, and the page cache the benchmarks drop. It knows nothing
// about which benchmark runs them or what a good number is.
package proc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// Memory is what /proc/<pid>/status says about a process's resident memory,
// in bytes.
type Memory struct {
	RSS  int64 // VmRSS: resident now
	Peak int64 // VmHWM: the high-water mark of VmRSS since start or ResetPeak
}

// ReadMemory reads VmRSS and VmHWM of pid.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			m.RSS = kiB(line[len("VmRSS:"):])
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			m.Peak = kiB(line[len("VmHWM:"):])
		}
	}
	return m, nil
}

// kiB parses "   12345 kB" into bytes.
func kiB(field []byte) int64 {
	f := bytes.Fields(field)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return n * 1024
}

// ResetPeak resets pid's VmHWM to its current RSS (Linux clear_refs "5"), so
// that one process's peak can be read per phase.
func ResetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// DropCaches writes dirty pages back and empties the page cache, so that the
// next read of a file comes from the disk. It needs root.
func DropCaches() error {
	syscall.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0)
}

// CanDropCaches reports whether DropCaches will work, without dropping.
func CanDropCaches() bool {
	f, err := os.OpenFile("/proc/sys/vm/drop_caches", os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
