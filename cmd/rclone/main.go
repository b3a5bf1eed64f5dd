// Command rclone is stock rclone with this module's put.io backend in place
// of rclone's own.
package main

import (
	_ "github.com/rclone-putio/rclone-putio/backend/all" // every backend, our putio included
	"github.com/rclone/rclone/cmd"
	_ "github.com/rclone/rclone/cmd/all" // every command
	"github.com/rclone/rclone/fs"
	_ "github.com/rclone/rclone/lib/plugin" // plugins, as stock rclone loads them
)

// versionSuffix marks this build in `rclone version` and the User-Agent,
// so bug reports and server logs show which putio backend was in use.
const versionSuffix = "putio"

func init() {
	fs.Version = fs.VersionTag + "-" + versionSuffix
	// rclone computes the --user-agent default while fs.Version is still
	// empty unless the linker set it, which plain `go build` does not.
	for i := range fs.ConfigOptionsInfo {
		if fs.ConfigOptionsInfo[i].Name == "user_agent" {
			fs.ConfigOptionsInfo[i].Default = "rclone/" + fs.Version
		}
	}
}

func main() {
	cmd.Main()
}
