// Package e2e runs the rclone binary built from cmd/rclone against the
// put.io emulator started from cmd/putio-emulator, each as its own process,
// the way a user runs them. Everything lives in its _test.go files.
package e2e
