package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the command, so a signal test can
// run it as a real process.
func TestMain(m *testing.M) {
	if os.Getenv("PUTIO_EMULATOR_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestExitsCleanlyOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-addr", "127.0.0.1:0")
			cmd.Env = append(os.Environ(), "PUTIO_EMULATOR_AS_MAIN=1")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "putio-emulator listening on http://127.0.0.1:") {
				t.Fatalf("ready line %q: %v", line, err)
			}
			base := strings.TrimSpace(strings.TrimPrefix(line, "putio-emulator listening on "))
			if code := get(t, base+"/v2/account/info", "tok"); code != 200 {
				t.Fatalf("account/info %d", code)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("exit after %v: %v", sig, err)
				}
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("still running after %v", sig)
			}
		})
	}
}
