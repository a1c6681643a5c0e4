//go:build linux

package bench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// Machine describes where the numbers were taken; every published number
// carries it.
type Machine struct {
	CPUs      int     `json:"cpus"`
	CPUModel  string  `json:"cpu_model"`
	SHANI     bool    `json:"sha_ni"`
	MemoryGiB float64 `json:"memory_gib"`
	Kernel    string  `json:"kernel"`
	Go        string  `json:"go"`
	Disk      string  `json:"disk"` // device and filesystem of the work folder
	WorkDir   string  `json:"work_dir"`
	LoadStart string  `json:"load_start"` // /proc/loadavg before the run
	LoadEnd   string  `json:"load_end"`   // and after
}

// Summary is the machine in two lines.
func (m Machine) Summary() string {
	sha := "no SHA-NI"
	if m.SHANI {
		sha = "SHA-NI"
	}
	return fmt.Sprintf("machine: %d CPUs (%s, %s), %.0f GiB RAM, kernel %s, %s\n"+
		"disk: %s (work folder %s); load average at start %s, at end %s",
		m.CPUs, m.CPUModel, sha, m.MemoryGiB, m.Kernel, m.Go, m.Disk, m.WorkDir, m.LoadStart, m.LoadEnd)
}

func describeMachine(workDir string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), WorkDir: workDir, LoadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			k, v, ok := strings.Cut(line, ":")
			switch k = strings.TrimSpace(k); {
			case !ok:
			case k == "model name" && m.CPUModel == "":
				m.CPUModel = strings.TrimSpace(v)
			case k == "flags" && strings.Contains(v, " sha_ni"):
				m.SHANI = true
			}
		}
	}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		m.MemoryGiB = float64(si.Totalram) * float64(si.Unit) / (1 << 30)
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		m.Kernel = utsString(u.Release[:])
	}
	m.Disk = describeDisk(workDir)
	return m
}

func utsString(b []int8) string {
	s := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// load1 is the one-minute load average, or -1.
func load1() float64 {
	var v float64
	if _, err := fmt.Sscan(loadAvg(), &v); err != nil {
		return -1
	}
	return v
}

// describeDisk names the device and filesystem that hold dir, from the
// longest matching mount point, and the block driver.
func describeDisk(dir string) string {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return "?"
	}
	defer f.Close()
	abs, _ := filepath.Abs(dir)
	var dev, mnt, fstype, opts string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 4 || !within(abs, fl[1]) || len(fl[1]) < len(mnt) {
			continue
		}
		dev, mnt, fstype, opts = fl[0], fl[1], fl[2], fl[3]
	}
	desc := fmt.Sprintf("%s %s on %s", dev, fstype, mnt)
	if strings.Contains(opts, "discard") {
		desc += " (discard)"
	}
	base := filepath.Base(dev)
	if target, err := os.Readlink("/sys/block/" + base + "/device/driver"); err == nil {
		desc += ", driver " + filepath.Base(target)
	}
	return desc
}

func within(path, mount string) bool {
	return mount == "/" || path == mount || strings.HasPrefix(path, mount+"/")
}

// isTmpfs reports whether dir is on a RAM-backed filesystem, where disk
// benchmarks would measure memory.
func isTmpfs(dir string) bool {
	const tmpfsMagic, ramfsMagic = 0x01021994, 0x858458f6
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return false
	}
	return st.Type == tmpfsMagic || st.Type == ramfsMagic
}
