// Package matrix runs the rclone test packages that rclone's own
// integration run (fstest/test_all) runs for its backends, against the emulator
// with this module's backend in place of rclone's built-in one.
//
// Those packages (fs/operations, fs/sync, vfs, cmd/gitannex, and
// cmd/bisync, which test_all ignores for putio but which passes) import
// rclone's backend/all, so their test binaries link the built-in putio
// too. The harness builds them from a copy of rclone's module source (the
// version in go.mod, taken from the module cache) with one test file added
// to each package that imports our backend, whose registration then puts
// ours first. Everything is built offline: the module cache is the only
// source. See matrix_test.go.
package matrix
