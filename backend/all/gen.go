//go:build ignore

// Command gen writes all.go from rclone's backend/all; run it with go generate.
package main

import (
	"context"
	"log"
	"os"

	"github.com/rclone-putio/rclone-putio/backend/all/internal/allgen"
)

func main() {
	path, err := allgen.UpstreamFile(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	upstream, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	src, err := allgen.Render(upstream)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("all.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
}
