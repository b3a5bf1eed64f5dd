package tus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statusError is a reply the plain backend below took as a failure.
type statusError int

func (e statusError) Error() string { return "HTTP " + strconv.Itoa(int(e)) }

// plainBackend is the least a caller gives the client: net/http, a few
// retries of 5xx and temporary errors, and a reading of status codes.
type plainBackend struct{}

func (plainBackend) NewRequest(ctx context.Context, method, target string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, method, target, nil)
}

func (plainBackend) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(req)
	if err == nil && resp.StatusCode >= 400 {
		_ = resp.Body.Close()
		return nil, statusError(resp.StatusCode)
	}
	return resp, err
}

func (plainBackend) Retry(_ context.Context, _ string, attempt func() error) (err error) {
	for range 5 {
		var status statusError
		var temporary interface{ Temporary() bool }
		err = attempt()
		transient := errors.As(err, &status) && status >= 500 || errors.As(err, &temporary) && temporary.Temporary()
		if !transient {
			return err
		}
	}
	return err
}

func (plainBackend) Classify(_ context.Context, err error) Failure {
	var status statusError
	answered := errors.As(err, &status)
	failure := Failure{Answered: answered, MayHaveWorked: !answered || status >= 500}
	switch {
	case status == http.StatusNotFound || status == http.StatusGone:
		failure.Outcome = Gone
	case status == http.StatusRequestEntityTooLarge:
		failure.Outcome = TooLarge
	case !answered || status == http.StatusConflict || status >= 500:
		failure.Outcome = Resync
	}
	return failure
}

// halfKeeper is a tus server with one upload that keeps only the first
// half of the first PATCH and answers it with a 500.
type halfKeeper struct {
	mu      sync.Mutex
	size    int64
	stored  []byte
	patches int
	heads   int
}

func (s *halfKeeper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Tus-Resumable", "1.0.0")
	switch r.Method {
	case http.MethodPost:
		s.size, _ = strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
		w.Header().Set("Location", "/uploads/1")
		w.WriteHeader(http.StatusCreated)
	case http.MethodHead:
		s.heads++
		w.Header().Set("Upload-Offset", strconv.Itoa(len(s.stored)))
	case http.MethodPatch:
		s.patches++
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Upload-Offset") != strconv.Itoa(len(s.stored)) {
			w.WriteHeader(http.StatusConflict)
			return
		}
		if s.patches == 1 {
			s.stored = append(s.stored, body[:len(body)/2]...)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		s.stored = append(s.stored, body...)
		w.Header().Set("Upload-Offset", strconv.Itoa(len(s.stored)))
		w.WriteHeader(http.StatusNoContent)
	}
}

// The client needs nothing of its caller but Backend's four functions:
// with plain net/http behind them, a PATCH the server kept only half of
// is resynchronised by one HEAD and the rest sent from the server's
// offset, from the window, as the source can't be read again.
func TestUploadResyncsThroughAPlainBackend(t *testing.T) {
	server := &halfKeeper{}
	srv := httptest.NewServer(server)
	defer srv.Close()
	data := pattern(3000, 7)
	client := &Client{Backend: plainBackend{}, URL: srv.URL + "/uploads", Service: &Service{}, Pages: privatePages(1024)}
	up := client.NewUpload(&oneWaySource{r: &memSource{data: data}}, int64(len(data)), int64(len(data)), Metadata([2]string{"name", "a.bin"}), "a.bin")
	defer up.Free()

	require.NoError(t, up.Create(context.Background()))
	require.NoError(t, up.Send(context.Background()))

	assert.Equal(t, data, server.stored, "bytes stored")
	assert.Equal(t, 1, server.heads, "HEADs")
	assert.Equal(t, 2, server.patches, "PATCHes")
	assert.Equal(t, int64(len(data)), up.Offset())
	assert.NotNil(t, up.Final(), "the final reply")
	assert.Equal(t, srv.URL+"/uploads/1", up.Location())
}

// oneWaySource is a source that can't be read again.
type oneWaySource struct{ r io.Reader }

func (s *oneWaySource) Read(p []byte) (int, error) { return s.r.Read(p) }

func (s *oneWaySource) CanReopen() bool { return false }

func (s *oneWaySource) Reopen(off int64) error {
	return fmt.Errorf("reopening at %d: %w", off, ErrCannotRewind)
}

func (s *oneWaySource) Skip(off int64) error { return s.Reopen(off) }

// An upload that stops waiting for the OPTIONS request in flight, as its
// context ended, learns nothing and records nothing: the request's own
// answer is what every upload then gets, with no second request.
func TestCapsWaiterThatGivesUpRecordsNothing(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	var options int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		options++
		close(arrived)
		<-release
		w.Header().Set("Tus-Version", "1.0.0")
		w.Header().Set("Tus-Extension", "creation,creation-with-upload")
	}))
	defer srv.Close()
	client := &Client{Backend: plainBackend{}, URL: srv.URL, Service: &Service{}}
	first := make(chan Caps, 1)
	go func() { first <- client.Caps(context.Background()) }()
	<-arrived

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Equal(t, Caps{}, client.Caps(ctx), "the waiter that gave up")
	client.Service.mu.Lock()
	assert.False(t, client.Service.known, "recorded by the waiter that gave up")
	client.Service.mu.Unlock()

	close(release)
	assert.True(t, (<-first).CreationWithUpload)
	assert.True(t, client.Caps(context.Background()).CreationWithUpload)
	assert.Equal(t, 1, options, "OPTIONS requests")
}

// overtaker is a tus server with one upload on which, as the first PATCH
// arrives, another writer's bytes land first, up to late: the PATCH meets
// a 409 and the server then holds more than the client sent.
type overtaker struct {
	mu       sync.Mutex
	data     []byte // the file, whose bytes the other writer sends
	late     int64
	stored   []byte
	received int // PATCH body bytes the client sent
	patches  int
}

func (s *overtaker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodPost:
		w.Header().Set("Location", "/uploads/1")
		w.WriteHeader(http.StatusCreated)
	case http.MethodHead:
		w.Header().Set("Upload-Offset", strconv.Itoa(len(s.stored)))
	case http.MethodPatch:
		s.patches++
		body, _ := io.ReadAll(r.Body)
		s.received += len(body)
		if s.patches == 1 {
			s.stored = append(s.stored, s.data[len(s.stored):s.late]...)
		}
		if r.Header.Get("Upload-Offset") != strconv.Itoa(len(s.stored)) {
			w.WriteHeader(http.StatusConflict)
			return
		}
		s.stored = append(s.stored, body...)
		w.Header().Set("Upload-Offset", strconv.Itoa(len(s.stored)))
		w.WriteHeader(http.StatusNoContent)
	}
}

// A server that holds more than the client sent, within the file, has
// the client read its source forward to there and send only the rest.
func TestUploadReadsForwardToAnOvertakingOffset(t *testing.T) {
	data := pattern(5000, 9)
	server := &overtaker{data: data, late: 3000}
	srv := httptest.NewServer(server)
	defer srv.Close()
	client := &Client{Backend: plainBackend{}, URL: srv.URL + "/uploads", ChunkSize: 1000, Service: &Service{}, Pages: privatePages(1024)}
	up := client.NewUpload(&memSource{data: data}, int64(len(data)), 1024, "", "a.bin")
	defer up.Free()

	require.NoError(t, up.Create(context.Background()))
	require.NoError(t, up.Send(context.Background()))

	assert.Equal(t, data, server.stored, "bytes stored")
	assert.Equal(t, 1000+2000, server.received, "the refused PATCH and the rest")
	assert.NotNil(t, up.Final(), "the final reply")
}

// A server that holds more bytes than the file has is an error, not a
// reason to read past the source's end.
func TestUploadRefusesAnOffsetPastTheFile(t *testing.T) {
	data := pattern(5000, 10)
	server := &overtaker{data: append(data, 0), late: 5001}
	srv := httptest.NewServer(server)
	defer srv.Close()
	client := &Client{Backend: plainBackend{}, URL: srv.URL + "/uploads", ChunkSize: 1000, Service: &Service{}, Pages: privatePages(1024)}
	up := client.NewUpload(&memSource{data: data}, int64(len(data)), 1024, "", "a.bin")
	defer up.Free()

	require.NoError(t, up.Create(context.Background()))
	err := up.Send(context.Background())

	require.EqualError(t, err, "putio: the upload server holds 5001 bytes of a file of 5000")
}
