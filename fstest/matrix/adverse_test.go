package matrix

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// adverseHits counts the replies by which the adverse emulator's options
// show, so a run can prove it met them rather than assume it.
type adverseHits struct {
	mu     sync.Mutex
	counts map[string]int
}

// The replies counted, by what they show.
const (
	hitCopyConflict = "copy conflicts (400 on files/copy)"
	hitTrashLock    = "trash-lock timeouts (400 on files/delete)"
	hitPatchCap     = "PATCHes over the cap (413)"
)

// record is an Options.OnRequest hook.
func (h *adverseHits) record(e putiotest.LogEntry) {
	var hit string
	switch {
	case e.Route == "POST /v2/files/copy" && e.Status == http.StatusBadRequest:
		hit = hitCopyConflict
	case e.Route == "POST /v2/files/delete" && e.Status == http.StatusBadRequest:
		hit = hitTrashLock
	case e.Route == "PATCH /files/{upload}" && e.Status == http.StatusRequestEntityTooLarge:
		hit = hitPatchCap
	default:
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = map[string]int{}
	}
	h.counts[hit]++
}

// missing lists the adverse behaviours no suite met.
func (h *adverseHits) missing() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, hit := range []string{hitCopyConflict, hitTrashLock, hitPatchCap} {
		if h.counts[hit] == 0 {
			out = append(out, hit)
		}
	}
	return out
}

func (h *adverseHits) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Sprintf("%d %s, %d %s, %d %s", h.counts[hitCopyConflict], hitCopyConflict,
		h.counts[hitTrashLock], hitTrashLock, h.counts[hitPatchCap], hitPatchCap)
}
