package putiotest

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The media routes: MP4 status and download, subtitles, the playback
// position (start_from), watch status and the next file of a folder, as
// put.io's SDK live suite uses them. The emulator converts nothing and
// probes no media: a video has an MP4 only if it was seeded with one
// (Options.SeedFixtures), and every metadata field asked for is null.

// mediaFile looks up the live file {id} for a media route: 404 if there
// is none, 400 NotFile for a folder, as put.io's SDK live suite finds for
// files/{id}/mp4.
func (e *Emulator) mediaFile(a *account, id int64) (*node, error) {
	n := e.lookup(a, id)
	switch {
	case n == nil:
		return nil, errNotFound("file " + itoa(id))
	case n.dir:
		return nil, errBadRequest("NotFile", "item "+itoa(id)+" is a folder, not a file")
	}
	return n, nil
}

// playable is mediaFile for the routes of videos and audio: any other
// file is INVALID_MEDIA.
func (e *Emulator) playable(a *account, id int64) (*node, error) {
	n, err := e.mediaFile(a, id)
	if err == nil && !isPlayable(n) {
		err = errBadRequest("INVALID_MEDIA", "file "+itoa(id)+" is not a video or audio file")
	}
	return n, err
}

func isPlayable(n *node) bool {
	_, _, kind := fileKind(n.name)
	return !n.dir && (kind == "VIDEO" || kind == "AUDIO")
}

func isVideo(n *node) bool {
	_, _, kind := fileKind(n.name)
	return !n.dir && kind == "VIDEO"
}

// mp4Status serves GET /v2/files/{id}/mp4: COMPLETED with the MP4's size
// when the video has one, else NOT_AVAILABLE.
func (e *Emulator) mp4Status(c *call) {
	c.withID(func(id int64, _ url.Values) (obj, error) {
		n, err := e.mediaFile(c.acct, id)
		if err != nil {
			return nil, err
		}
		return obj{"mp4": mp4StatusJSON(n)}, nil
	})
}

// convertMP4 serves POST /v2/files/{id}/mp4, which asks for a video's MP4.
// The emulator converts nothing: a video answers its status as it is
// (COMPLETED if seeded with an MP4, else NOT_AVAILABLE); any other file
// is INVALID_MEDIA.
func (e *Emulator) convertMP4(c *call) {
	c.withID(func(id int64, _ url.Values) (obj, error) {
		n, err := e.mediaFile(c.acct, id)
		if err == nil && !isVideo(n) {
			err = errBadRequest("INVALID_MEDIA", "file "+itoa(id)+" is not a video")
		}
		if err != nil {
			return nil, err
		}
		return obj{"mp4": mp4StatusJSON(n)}, nil
	})
}

// mp4StatusJSON is the mp4 object of files/{id}/mp4.
func mp4StatusJSON(n *node) obj {
	if n.mp4 {
		return obj{"id": n.id, "status": "COMPLETED", "percent_done": 100, "size": n.size}
	}
	return obj{"id": n.id, "status": "NOT_AVAILABLE"}
}

// mp4Download serves GET /v2/files/{id}/mp4/download[/{name}]: a redirect
// to the MP4's storage URL. A seeded MP4 is the file's own body.
func (e *Emulator) mp4Download(c *call) {
	id, ok := c.idVar()
	if !ok {
		return
	}
	e.mu.Lock()
	n, err := e.mediaFile(c.acct, id)
	if err == nil && !n.mp4 {
		err = errBadRequest("MP4_NOT_FOUND", "file "+itoa(id)+" has no MP4")
	}
	var target string
	if err == nil {
		target = e.signedURL(c.r, n)
	}
	e.mu.Unlock()
	if err != nil {
		c.failErr(err)
		return
	}
	http.Redirect(c.w, c.r, target, http.StatusFound)
}

// subtitles serves GET /v2/files/{id}/subtitles: the emulator finds no
// subtitles, so the list is empty and there is no default.
func (e *Emulator) subtitles(c *call) {
	c.withID(func(id int64, _ url.Values) (obj, error) {
		if _, err := e.mediaFile(c.acct, id); err != nil {
			return nil, err
		}
		return obj{"subtitles": []obj{}, "default": nil}, nil
	})
}

// getStartFrom serves GET /v2/files/{id}/start-from, the saved playback
// position in seconds (0 if none).
func (e *Emulator) getStartFrom(c *call) {
	c.withID(func(id int64, _ url.Values) (obj, error) {
		n, err := e.playable(c.acct, id)
		if err != nil {
			return nil, err
		}
		return obj{"start_from": n.startFrom}, nil
	})
}

// setStartFrom serves POST /v2/files/{id}/start-from (time, seconds).
func (e *Emulator) setStartFrom(c *call) {
	c.withID(func(id int64, v url.Values) (obj, error) {
		n, err := e.playable(c.acct, id)
		if err != nil {
			return nil, err
		}
		at, err := strconv.ParseFloat(strings.TrimSpace(v.Get("time")), 64)
		if err != nil || math.IsNaN(at) || math.IsInf(at, 0) || at < 0 { // JSON has no NaN or Inf: the position could never be read back
			return nil, errBadRequest("BadRequest", "time must be a number of seconds, at least 0")
		}
		n.startFrom = at
		return nil, nil
	})
}

// resetStartFrom serves POST /v2/files/{id}/start-from/delete.
func (e *Emulator) resetStartFrom(c *call) {
	c.withID(func(id int64, _ url.Values) (obj, error) {
		n, err := e.playable(c.acct, id)
		if err != nil {
			return nil, err
		}
		n.startFrom = 0
		return nil, nil
	})
}

// setWatchStatus serves POST /v2/files/watch-status (file_ids, watched).
// Every id must name a live file of the account, else nothing changes.
func (e *Emulator) setWatchStatus(c *call) {
	c.locked(func(v url.Values) (obj, error) {
		ids, err := idsParam(v, "file_ids")
		if err != nil {
			return nil, err
		}
		watched, err := strconv.ParseBool(strings.TrimSpace(v.Get("watched")))
		if err != nil {
			return nil, errBadRequest("BadRequest", "watched must be true or false")
		}
		items, err := e.lookupAll(c.acct, ids)
		if err != nil {
			return nil, err
		}
		for _, n := range items {
			n.watched = watched
		}
		return nil, nil
	})
}

// nextFile serves GET /v2/files/{id}/next-file?file_type=: the next file
// of that type after {id} in its folder, in natural name order ("2"
// before "10"), as put.io's SDK live suite finds; FILE is any file (the
// suite's text files are found with it).
func (e *Emulator) nextFile(c *call) {
	c.withID(func(id int64, v url.Values) (obj, error) {
		kind := strings.TrimSpace(v.Get("file_type"))
		if kind == "" {
			return nil, errBadRequest("BadRequest", "file_type is required")
		}
		next, err := e.next(c.acct, id, func(n *node) bool {
			_, _, k := fileKind(n.name)
			return !n.dir && (kind == "FILE" || k == kind)
		})
		if err != nil {
			return nil, err
		}
		return obj{"next_file": next}, nil
	})
}

// nextVideo serves GET /v2/files/{id}/next-video.
func (e *Emulator) nextVideo(c *call) {
	c.withID(func(id int64, _ url.Values) (obj, error) {
		next, err := e.next(c.acct, id, isVideo)
		if err != nil {
			return nil, err
		}
		return obj{"next_video": next}, nil
	})
}

// next finds the first sibling after file id, in natural name order, that
// wants accepts: 404 if there is none.
func (e *Emulator) next(a *account, id int64, wants func(*node) bool) (obj, error) {
	n, err := e.mediaFile(a, id)
	if err != nil {
		return nil, err
	}
	var best *node
	for _, s := range n.parent.children {
		if s != n && wants(s) && naturalLess(n.name, s.name) && (best == nil || naturalLess(s.name, best.name)) {
			best = s
		}
	}
	if best == nil {
		return nil, errNotFound("a next file after " + itoa(id))
	}
	return obj{"id": best.id, "name": best.name, "parent_id": best.parentID()}, nil
}

// naturalLess orders names as people do: runs of digits compare by value,
// the rest case-insensitively; ties fall back to the plain comparison.
func naturalLess(a, b string) bool {
	if c := naturalCompare(a, b); c != 0 {
		return c < 0
	}
	return a < b
}

func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		ca, cb := leadingRun(a), leadingRun(b)
		a, b = a[len(ca):], b[len(cb):]
		if c := compareRuns(ca, cb); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

// leadingRun is s's first run of digits, or its first other character.
func leadingRun(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
	switch {
	case end == -1:
		return s
	case end > 0:
		return s[:end]
	}
	for i := range s {
		if i > 0 {
			return s[:i]
		}
	}
	return s
}

func compareRuns(a, b string) int {
	if isDigits(a) && isDigits(b) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

func isDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) }) == -1
}

// mediaFlags are the optional File fields a files/{id} or files/list
// request may ask for, each a flag of the same name (with suffix
// "_parent" for the parent of a listing).
var mediaFlags = []string{"stream_url", "mp4_status", "mp4_stream_url", "video_metadata", "media_metadata", "codecs", "media_info"}

// withMedia adds to f, the File object of n, the fields v asks for with
// flags ending in suffix. Folders get them too, null.
func (e *Emulator) withMedia(r *http.Request, f obj, n *node, v url.Values, suffix string) {
	asked := func(flag string) bool { return flagParam(v, flag+suffix) }
	if !slices.ContainsFunc(mediaFlags, asked) {
		return
	}
	if asked("stream_url") {
		f["stream_url"] = e.streamURL(r, n, !n.dir)
	}
	if asked("mp4_status") || asked("mp4_stream_url") {
		f["need_convert"] = isVideo(n) && !n.mp4
		f["mp4_size"] = nil
		if n.mp4 {
			f["mp4_size"] = n.size
		}
	}
	if asked("mp4_stream_url") {
		f["mp4_stream_url"] = e.streamURL(r, n, n.mp4)
	}
	for flag, field := range map[string]string{"video_metadata": "video_metadata", "media_metadata": "media_metadata",
		"codecs": "content_type_and_codecs", "media_info": "media_info"} {
		if asked(flag) {
			f[field] = nil // the emulator probes no media
		}
	}
}

// streamURL is n's signed storage URL when it has one to stream, else nil.
func (e *Emulator) streamURL(r *http.Request, n *node, has bool) any {
	if !has {
		return nil
	}
	return e.signedURL(r, n)
}

// filesWithMedia adds the media fields v asks for to a page of files.
func (e *Emulator) filesWithMedia(r *http.Request, files []obj, v url.Values) {
	for _, f := range files {
		if id, ok := f["id"].(int64); ok && e.nodes[id] != nil {
			e.withMedia(r, f, e.nodes[id], v, "")
		}
	}
}
