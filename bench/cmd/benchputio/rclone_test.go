package main

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func startSleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func TestKillOnSignalKillsTheGroup(t *testing.T) {
	cmd := startSleeper(t)
	kill := make(chan struct{})
	close(kill)
	if !killOnSignal(cmd.Process.Pid, kill, make(chan struct{})) {
		t.Fatal("killOnSignal did not report the kill")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("process ended with %v, want SIGKILL", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("process still running 5s after the kill")
	}
}

func TestKillOnSignalLeavesAFinishedRunAlone(t *testing.T) {
	cmd := startSleeper(t)
	stop := make(chan struct{})
	close(stop)
	if killOnSignal(cmd.Process.Pid, nil, stop) {
		t.Fatal("killOnSignal killed after stop, with no kill asked for")
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("process is gone (%v), want it untouched", err)
	}
}
