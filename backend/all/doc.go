// Package all imports every rclone backend, with this module's put.io
// backend in place of rclone's own. Import it instead of
// github.com/rclone/rclone/backend/all so that only one backend is
// registered under the name "putio".
package all

//go:generate go run gen.go
