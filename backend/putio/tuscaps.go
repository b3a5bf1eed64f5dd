package putio

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rclone/rclone/fs"
)

// What upload.put.io answers to tus OPTIONS is not on record, so the
// upload service is asked once per login (see loginKey), when the first
// upload starts, and anything short of a clear tus 1.0.0 answer means
// plain creation plus PATCH, which every put.io client uses.

// tusCaps is what the upload service said it supports.
type tusCaps struct {
	creationWithUpload bool
	maxSize            int64 // Tus-Max-Size; 0: not given
}

// uploadService is what one login learnt about its upload service.
type uploadService struct {
	mu    sync.Mutex
	known bool
	caps  tusCaps
	// probing is closed when the OPTIONS request in flight ends; nil when
	// none is.
	probing chan struct{}
	// maxPatch is the PATCH size learnt from 413 replies; 0: none yet.
	maxPatch atomic.Int64
	// acceptedPatch is the largest PATCH the server has taken whole, a
	// size it is known not to refuse; 0: none yet.
	acceptedPatch atomic.Int64
	// dropsCutPatches is set once the server kept nothing of a PATCH whose
	// connection was cut: from then on a source that can't be read again
	// goes in PATCHes the window can resend whole.
	dropsCutPatches atomic.Bool
}

// accepted notes that the server took a PATCH of n bytes whole.
func (s *uploadService) accepted(n int64) {
	for {
		known := s.acceptedPatch.Load()
		if n <= known || s.acceptedPatch.CompareAndSwap(known, n) {
			return
		}
	}
}

// uploadServices holds one uploadService per login and upload URL, shared
// by every Fs of the login.
var uploadServices sync.Map

func uploadServiceFor(uploadURL, key string) *uploadService {
	s, _ := uploadServices.LoadOrStore(uploadURL+"\x00"+key, &uploadService{})
	return s.(*uploadService)
}

// uploadCaps asks the upload service what it supports the first time it
// is called for the login. A failure is remembered too, unless ctx ended.
// One request is in flight at a time; other uploads wait for its answer
// as long as their own contexts allow, and ask again if it gave none.
func (f *Fs) uploadCaps(ctx context.Context) tusCaps {
	s := f.uploads
	for {
		s.mu.Lock()
		if s.known {
			defer s.mu.Unlock()
			return s.caps
		}
		if wait := s.probing; wait != nil {
			s.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return tusCaps{}
			}
		}
		done := make(chan struct{})
		s.probing = done
		s.mu.Unlock()
		caps := f.discoverTus(ctx)
		s.mu.Lock()
		s.caps, s.known, s.probing = caps, ctx.Err() == nil, nil
		s.mu.Unlock()
		close(done)
		return caps
	}
}

// learnUploadCaps starts asking the upload service, unless that is known
// or under way, without waiting for the answer: Put calls it first, so
// the OPTIONS request, and with it the connection to the upload host,
// overlaps the lookups that come before the upload.
func (f *Fs) learnUploadCaps(ctx context.Context) {
	s := f.uploads
	s.mu.Lock()
	idle := !s.known && s.probing == nil
	s.mu.Unlock()
	if idle {
		go f.uploadCaps(ctx)
	}
}

// discoverTus sends one OPTIONS request once the gate opens, not retried:
// it only informs.
func (f *Fs) discoverTus(ctx context.Context) tusCaps {
	if err := f.gate.wait(ctx); err != nil {
		return tusCaps{}
	}
	var caps tusCaps
	err := f.tusOnce(ctx, http.MethodOptions, f.opt.UploadURL, nil, func(resp *http.Response) error {
		if !slices.Contains(headerList(resp.Header.Get("Tus-Version")), tusVersion) {
			fs.Debugf(f, "tus OPTIONS names no version %s (%q): using creation and PATCH", tusVersion, resp.Header.Get("Tus-Version"))
			return nil
		}
		caps.creationWithUpload = slices.Contains(headerList(resp.Header.Get("Tus-Extension")), "creation-with-upload")
		if size, err := strconv.ParseInt(resp.Header.Get("Tus-Max-Size"), 10, 64); err == nil && size > 0 {
			caps.maxSize = size
		}
		return nil
	})
	if err != nil {
		fs.Debugf(f, "tus OPTIONS failed, using creation and PATCH: %v", err)
		return tusCaps{}
	}
	fs.Debugf(f, "tus OPTIONS: creation-with-upload %v, max size %d", caps.creationWithUpload, caps.maxSize)
	return caps
}

// headerList splits a comma-separated header value.
func headerList(value string) []string {
	var out []string
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// refuse is the error for a file larger than the service's Tus-Max-Size,
// or nil.
func (c tusCaps) refuse(job *uploadJob) error {
	if c.maxSize > 0 && job.size > c.maxSize {
		return fmt.Errorf("putio: %q is %d bytes, more than the %d bytes put.io's upload service takes in one file (its Tus-Max-Size)", job.leaf, job.size, c.maxSize)
	}
	return nil
}
