package putiotest

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// timeLayout is put.io's timestamp: UTC, whole seconds, no zone.
const timeLayout = "2006-01-02T15:04:05"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// jsonContentType is exact: go-putio only decodes error bodies when the
// header carries no charset.
const jsonContentType = "application/json"

// obj is a JSON object reply.
type obj = map[string]any

// ok sends a success reply: the payload plus "status": "OK".
func (c *call) ok(payload obj) {
	if payload == nil {
		payload = obj{}
	}
	payload["status"] = "OK"
	c.json(http.StatusOK, payload)
}

func (c *call) json(status int, body any) {
	writeJSON(c.w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		// Only our own reply types reach here; a failure is a bug.
		http.Error(w, "putiotest: cannot encode reply: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// errorBody is put.io's error JSON, the same fields on every error reply.
func errorBody(status int, errorType, message string) obj {
	return obj{
		"status":        "ERROR",
		"status_code":   status,
		"error_type":    errorType,
		"error_message": message,
		"error_id":      nil,
		"error_uri":     "http://api.put.io/v2/docs",
		"extra":         obj{},
	}
}

// fail sends a put.io error reply.
func (c *call) fail(status int, errorType, message string) {
	writeJSON(c.w, status, errorBody(status, errorType, message))
}

func (c *call) notFound(what string) {
	c.fail(http.StatusNotFound, "NotFound", what+" not found")
}

func (c *call) badRequest(errorType, message string) {
	c.fail(http.StatusBadRequest, errorType, message)
}

// failErr sends an apiError, the error type of state changes.
func (c *call) failErr(err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		c.fail(http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	body := errorBody(ae.status, ae.errorType, ae.message)
	var detailed *extraError
	if errors.As(err, &detailed) {
		body["extra"] = detailed.extra
	}
	writeJSON(c.w, ae.status, body)
}

// apiError is a failure with its put.io status and error type.
type apiError struct {
	status    int
	errorType string
	message   string
}

func (e *apiError) Error() string { return e.errorType + ": " + e.message }

// extraError is an apiError whose reply fills put.io's "extra" object.
type extraError struct {
	*apiError
	extra obj
}

func (e *extraError) Unwrap() error { return e.apiError }

func errNotFound(what string) error {
	return &apiError{http.StatusNotFound, "NotFound", what + " not found"}
}

func errBadRequest(errorType, message string) error {
	return &apiError{http.StatusBadRequest, errorType, message}
}

// fileJSON renders a node as put.io's File object.
func fileJSON(n *node) obj {
	f := obj{
		"id":                 n.id,
		"parent_id":          n.parentID(),
		"name":               n.name,
		"size":               n.totalSize(),
		"created_at":         formatTime(n.created),
		"updated_at":         formatTime(n.updated),
		"first_accessed_at":  nil,
		"icon":               nil,
		"screenshot":         nil,
		"opensubtitles_hash": nil,
		"is_mp4_available":   n.mp4,
		"is_shared":          n.sharedOut,
		"is_hidden":          n.hidden,
		"folder_type":        cmp.Or(n.folderType, "REGULAR"),
	}
	if n.dir {
		f["content_type"], f["file_type"] = folderContentType, "FOLDER"
		if n.sortBy != "" {
			f["sort_by"] = n.sortBy
		}
		f["extension"], f["crc32"] = nil, nil
		return f
	}
	ext, ctype, ftype := fileKind(n.name)
	f["content_type"], f["file_type"], f["crc32"] = ctype, ftype, crcHex(n.crc)
	if ext == "" {
		f["extension"] = nil
	} else {
		f["extension"] = ext
	}
	return f
}

func filesJSON(nodes []*node) []obj {
	out := make([]obj, len(nodes))
	for i, n := range nodes {
		out[i] = fileJSON(n)
	}
	return out
}

const folderContentType = "application/x-directory"

func crcHex(crc uint32) string { return strconv.FormatUint(uint64(crc)|1<<32, 16)[1:] }

// kinds maps an extension to its content type and put.io file_type.
var kinds = map[string][2]string{
	"txt": {"text/plain", "TEXT"}, "md": {"text/markdown", "TEXT"}, "csv": {"text/csv", "TEXT"},
	"html": {"text/html", "TEXT"}, "json": {"application/json", "TEXT"}, "srt": {"application/x-subrip", "TEXT"},
	"mp4": {"video/mp4", "VIDEO"}, "mkv": {"video/x-matroska", "VIDEO"}, "avi": {"video/x-msvideo", "VIDEO"},
	"mov": {"video/quicktime", "VIDEO"}, "webm": {"video/webm", "VIDEO"},
	"mp3": {"audio/mpeg", "AUDIO"}, "flac": {"audio/flac", "AUDIO"}, "ogg": {"audio/ogg", "AUDIO"},
	"wav": {"audio/x-wav", "AUDIO"}, "m4a": {"audio/mp4", "AUDIO"},
	"jpg": {"image/jpeg", "IMAGE"}, "jpeg": {"image/jpeg", "IMAGE"}, "png": {"image/png", "IMAGE"},
	"gif": {"image/gif", "IMAGE"}, "webp": {"image/webp", "IMAGE"},
	"zip": {"application/zip", "ARCHIVE"}, "rar": {"application/x-rar-compressed", "ARCHIVE"},
	"7z": {"application/x-7z-compressed", "ARCHIVE"}, "tar": {"application/x-tar", "ARCHIVE"},
	"gz":  {"application/gzip", "ARCHIVE"},
	"pdf": {"application/pdf", "PDF"}, "swf": {"application/x-shockwave-flash", "SWF"},
}

// fileKind derives extension (no dot), content type and file_type from a
// file name; unknown extensions are plain FILEs.
func fileKind(name string) (ext, contentType, fileType string) {
	ext = strings.TrimPrefix(path.Ext(name), ".")
	if k, ok := kinds[strings.ToLower(ext)]; ok {
		return ext, k[0], k[1]
	}
	return ext, "application/octet-stream", "FILE"
}
