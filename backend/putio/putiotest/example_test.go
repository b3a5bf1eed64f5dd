package putiotest_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// In a test, putiotest.NewServer(t) does all of this in one call. Here the
// bare handler is mounted on an httptest listener.
func Example() {
	emu, err := putiotest.New(putiotest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		if err := emu.Close(); err != nil {
			fmt.Println(err)
		}
	}()
	srv := httptest.NewServer(emu)
	defer srv.Close()

	// Seed a file without HTTP, then look it up over the API.
	modTime := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	dir, _ := emu.Account("my-token").Mkdir("docs")
	if _, err := emu.Account("my-token").Put("docs/hello.txt", []byte("hello"), modTime); err != nil {
		fmt.Println(err)
		return
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v2/files/%d/child?name=hello.txt", srv.URL, dir.ID), nil)
	req.Header.Set("Authorization", "Bearer my-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, err := io.ReadAll(resp.Body)
	if err := errors.Join(err, resp.Body.Close()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Status, resp.Header.Get("Content-Type"), len(body) > 0)
	fmt.Println(emu.Calls("GET /v2/files/{id}/child"))
	// Output:
	// 200 OK application/json true
	// 1
}
