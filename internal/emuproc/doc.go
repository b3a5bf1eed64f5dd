// Package emuproc runs cmd/putio-emulator as a child process and talks to
// it over plain HTTP, the way any other program would: the address line it
// prints on start, its admin API (/_emulator/...), the put.io API of one
// account, and tus uploads.
//
// It is shared by the benchmark (bench/) and the end-to-end tests (e2e/),
// which both need an emulator in its own process, and it deliberately
// uses no code of the backend under test: what it seeds or checks must
// not depend on the client being measured.
package emuproc
