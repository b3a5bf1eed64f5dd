package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// anonSampleInterval is how often peakAnon looks at the child. Buffers that
// matter (upload chunks) live far longer than this.
const anonSampleInterval = 10 * time.Millisecond

// peakAnon samples RssAnon of the child of parent (rclone under time)
// until stop closes and returns the peak in bytes. Unlike max RSS it leaves
// out the binary's mapped text, whose resident share depends on the page
// cache, not on the backend.
func peakAnon(parent int, stop <-chan struct{}) int64 {
	var peak int64
	child := 0
	ticker := time.NewTicker(anonSampleInterval)
	defer ticker.Stop()
	for {
		if child == 0 {
			child = firstChild(parent)
		}
		if n, err := rssAnon(child); child != 0 && err == nil && n > peak {
			peak = n
		}
		select {
		case <-stop:
			return peak
		case <-ticker.C:
		}
	}
}

// rssAnon reads the RssAnon line of /proc/PID/status.
func rssAnon(pid int) (_ int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer closeInto(&err, f)
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if value, ok := strings.CutPrefix(scanner.Text(), "RssAnon:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
			return kib << 10, err
		}
	}
	return 0, fmt.Errorf("no RssAnon in /proc/%d/status", pid)
}

// firstChild returns a child of pid, or 0 if it has none yet.
func firstChild(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 0
	}
	child, _ := strconv.Atoi(fields[0])
	return child
}
