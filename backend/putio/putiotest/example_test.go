package putiotest_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
)

// exampleT stands in for the *testing.T a real test has.
type exampleT struct{ testing.TB }

func (exampleT) Helper()               {}
func (exampleT) Cleanup(func())        {}
func (exampleT) Fatalf(string, ...any) {}

func Example() {
	srv := putiotest.NewServer(exampleT{})
	defer srv.Close()

	// Seed a file without HTTP, then read it back over the API.
	modTime := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	if _, err := srv.Account(srv.Token).Put("docs/hello.txt", []byte("hello"), modTime); err != nil {
		fmt.Println(err)
		return
	}
	req, _ := http.NewRequest("GET", srv.URL+"/v2/files/1/child?name=hello.txt", nil)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, len(body) > 0)
	fmt.Println(srv.Calls("GET /v2/files/{id}/child"))
	// Output:
	// 200 OK true
	// 1
}
