// Package netns runs the benchmark in a network namespace that has only
// loopback, so no process it starts can reach put.io or any other host.
package netns

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// markerEnv tells the re-executed child that it already runs isolated.
const markerEnv = "BENCHPUTIO_ISOLATED_NETNS"

// Inside reports whether this process is the re-executed, isolated child.
func Inside() bool { return os.Getenv(markerEnv) == "1" }

// Reexec runs this program again, with the same arguments, in a fresh
// network namespace and returns its exit code. It fails, rather than
// falling back to the host network, if the namespace cannot be made.
func Reexec() (int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), markerEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("cannot create a network namespace (needs root or CAP_SYS_ADMIN; refusing to run on the host network): %w", err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	return 0, err
}

// Prepare brings loopback up and proves the namespace is sealed: loopback
// is the only interface and a direct connection to a non-loopback address
// fails.
func Prepare() error {
	if err := setLoopbackUp(); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, iface := range ifaces {
		if iface.Flags&net.FlagLoopback == 0 {
			return fmt.Errorf("interface %s is not loopback: not an isolated namespace", iface.Name)
		}
	}
	// Documentation addresses (RFC 5737, RFC 3849): never a real host.
	for _, addr := range []string{"192.0.2.1:443", "[2001:db8::1]:443"} {
		conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			_ = conn.Close()
			return fmt.Errorf("a connection to %s succeeded: the namespace is not isolated", addr)
		}
	}
	return nil
}

func setLoopbackUp() (err error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer func() {
		if closeErr := unix.Close(fd); err == nil && closeErr != nil {
			err = fmt.Errorf("closing the socket for lo: %w", closeErr)
		}
	}()
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
