package putio_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/rclone-putio/rclone-putio/backend/putio"
	"github.com/rclone-putio/rclone-putio/backend/putio/putiotest"
	"github.com/rclone/rclone/fs"
	"github.com/rclone/rclone/fs/config/configmap"
	"github.com/rclone/rclone/fs/object"
)

// startEmulator serves the put.io emulator on a loopback port; the
// returned func stops it. With a real account there is nothing to start.
func startEmulator() (url string, stop func()) {
	emu, err := putiotest.New(putiotest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	server := httptest.NewServer(emu)
	return server.URL, func() { server.Close(); _ = emu.Close() }
}

// A Go program using the backend through a connection string. With a real
// account, drop api_url and upload_url and give the token that
// `rclone config` saved (or name a configured remote: "myputio:backup").
func Example() {
	url, stop := startEmulator()
	defer stop()
	ctx := context.Background()

	remote := fmt.Sprintf(":putio,api_url='%s',upload_url='%s/files/',token='%s':backup",
		url, url, `{"access_token":"example-token","expiry":"0001-01-01T00:00:00Z"}`)
	f, err := fs.NewFs(ctx, remote)
	if err != nil {
		log.Fatal(err)
	}

	upload(ctx, f, "notes/hello.txt", "hello, put.io\n")
	upload(ctx, f, "todo.txt", "write the docs\n")

	entries, err := f.List(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	for _, entry := range entries {
		fmt.Printf("%s %d\n", entry.Remote(), entry.Size())
	}
	// Output:
	// notes 14
	// todo.txt 15
}

// The same with the options in a configmap, the way rclone's own config
// file feeds them in.
func Example_configmap() {
	url, stop := startEmulator()
	defer stop()
	ctx := context.Background()

	options := configmap.Simple{
		"api_url":    url,
		"upload_url": url + "/files/",
		"token":      `{"access_token":"example-token","expiry":"0001-01-01T00:00:00Z"}`,
		"chunk_size": "1Mi",
	}
	f, err := putio.NewFs(ctx, "example", "", options)
	if err != nil {
		log.Fatal(err)
	}

	uploaded := upload(ctx, f, "report.txt", "quarterly numbers\n")
	crc, err := uploaded.Hash(ctx, uploaded.Fs().Hashes().GetOne())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(uploaded.Remote(), uploaded.Size(), crc)
	// Output:
	// report.txt 18 8126d7ce
}

// upload stores text at remote with a fixed modification time.
func upload(ctx context.Context, f fs.Fs, remote, text string) fs.Object {
	modTime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	info := object.NewStaticObjectInfo(remote, modTime, int64(len(text)), true, nil, f)
	obj, err := f.Put(ctx, strings.NewReader(text), info)
	if err != nil {
		log.Fatal(err)
	}
	return obj
}

// Changes streams what changes under a remote, for a media server's
// partial scans. Here it first replays put.io's history of the last
// minute, and stops at the resync line that ends the replay; a real tool
// runs it until it is stopped.
func ExampleFs_Changes() {
	url, stop := startEmulator()
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	feedURL := "ws" + strings.TrimPrefix(url, "http") + "/socket/sockjs/websocket"
	remote := fmt.Sprintf(":putio,api_url='%s',upload_url='%s/files/',feed_url='%s',token='%s':media",
		url, url, feedURL, `{"access_token":"example-token","expiry":"0001-01-01T00:00:00Z"}`)
	f, err := fs.NewFs(ctx, remote)
	if err != nil {
		log.Fatal(err)
	}
	upload(ctx, f, "tv/Show S01E01.mkv", "an episode\n")

	err = f.(*putio.Fs).Changes(ctx, time.Now().Add(-time.Minute), func(c putio.Change) {
		fmt.Printf("%s %s %q replayed=%v\n", c.Kind, c.Change, c.Path, c.Replayed)
		if c.Kind == putio.KindResync {
			cancel()
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// file created "tv/Show S01E01.mkv" replayed=true
	// resync  "" replayed=false
}
