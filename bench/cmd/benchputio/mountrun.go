package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rclone-putio/rclone-putio/bench/internal/emu"
	"github.com/rclone-putio/rclone-putio/bench/internal/mitm"
	"github.com/rclone-putio/rclone-putio/internal/emuproc"
	"github.com/rclone-putio/rclone-putio/internal/fusemount"
)

// mountModes are the VFS cache modes a mount session runs in, each a
// session of its own; BENCH_ONLY names them "mount-off" and "mount-full",
// or both as "mount".
var mountModes = []string{"off", "full"}

const mountGroup = "mount"

// Phases of a mount session, in the order they run.
const (
	phaseCold      = "cold"
	phaseSecond    = "second"
	phaseRelist    = "relist"
	phasePlayStart = "play-start"
	phasePlay      = "play-seeks"
	phaseRemount   = "remount"
)

// mountPhase is one measured step of a mount session.
type mountPhase struct {
	key  string
	what string
}

func mountPhases(sz sizes) []mountPhase {
	scan := fmt.Sprintf("list %d folders, read the first 1 MiB and last 2 MiB of each of %d × %d MiB files", sz.MountFolders, sz.MountFiles, sz.MountMiB)
	return []mountPhase{
		{phaseCold, "cold scan: start rclone mount, " + scan},
		{phaseSecond, "second scan, same mount"},
		{phaseRelist, "rc vfs/refresh recursive=true, then the scan, same mount"},
		{phasePlayStart, "playback start: open a file not opened yet, read its first 1 MiB"},
		{phasePlay, "playback: 12 × 1 MiB reads of that file, two seeks (start included)"},
		{phaseRemount, "new rclone mount process, same cache dir, then the scan"},
	}
}

func mountScenario(mode, phase string) string { return mountGroup + "-" + mode + "-" + phase }

// isMountScenario tells mount phases from the one-command scenarios.
func isMountScenario(name string) bool { return strings.HasPrefix(name, mountGroup+"-") }

// selectedMountModes are the cache modes BENCH_ONLY asks for (all if unset).
func (cfg config) selectedMountModes() []string {
	var out []string
	for _, mode := range mountModes {
		if cfg.only == nil || cfg.only[mountGroup] || cfg.only[mountGroup+"-"+mode] {
			out = append(out, mode)
		}
	}
	return out
}

// runMount runs a mount session per selected mode, run and rclone,
// alternating rclones, and keeps the median run of each phase.
func (b *bench) runMount(ctx context.Context) ([]result, error) {
	var results []result
	phases := mountPhases(b.cfg.sz)
	for _, mode := range b.cfg.selectedMountModes() {
		if b.fuseReason != "" {
			results = append(results, b.mountNotRun(mode, phases)...)
			continue
		}
		runs := map[string][]result{} // by scenario and backend
		for range b.cfg.runs {
			for _, be := range b.backends {
				for _, res := range b.sessionResults(ctx, mode, be, phases) {
					fmt.Println(res.progressLine())
					runs[res.Scenario+"/"+res.Backend] = append(runs[res.Scenario+"/"+res.Backend], res)
				}
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
			}
		}
		for _, ph := range phases {
			for _, be := range b.backends {
				results = append(results, medianRun(runs[mountScenario(mode, ph.key)+"/"+be.Name]))
			}
		}
	}
	return results, nil
}

// mountNotRun is a mode's phases, n/a because FUSE is missing.
func (b *bench) mountNotRun(mode string, phases []mountPhase) []result {
	var out []result
	for _, ph := range phases {
		for _, be := range b.backends {
			res := result{Scenario: mountScenario(mode, ph.key), What: ph.what, Backend: be.Name, Status: statusNA, Error: "FUSE not available: " + b.fuseReason}
			fmt.Println(res.progressLine())
			out = append(out, res)
		}
	}
	return out
}

// mountSession is one rclone's mount session on a fresh emulator seeded
// with the library: the phases run one after the other, each measured on
// its own.
type mountSession struct {
	cfg      config
	helper   string
	lib      library
	emu      *emu.Emulator
	proxy    *mitm.Proxy
	env      rcloneEnv
	be       backend
	mode     string
	point    string
	cacheDir string

	mu    sync.Mutex
	mount *mountProc // the running mount, for abort
}

// sessionResults runs every phase for be in mode and returns a result per
// phase. After a phase that did not end ok the rest are not run.
func (b *bench) sessionResults(ctx context.Context, mode string, be backend, phases []mountPhase) []result {
	results := make([]result, len(phases))
	byKey := map[string]*result{}
	for i, ph := range phases {
		results[i] = result{Scenario: mountScenario(mode, ph.key), What: ph.what, Backend: be.Name, KeyRoute: routeURL}
		byKey[ph.key] = &results[i]
	}
	dir := filepath.Join(b.work, "mount-"+mode+"-"+be.Name)
	defer func() { warnCleanup("remove "+dir, removeWork(b.fuseHelper, dir)) }()
	err := b.runSession(ctx, mode, be, dir, byKey)
	allOK := true
	for i := range results {
		switch {
		case results[i].Status == "":
			results[i] = results[i].failed("not run", cmp.Or(err, errors.New("not measured")))
			allOK = false
		case results[i].Status != statusOK:
			allOK = false
		}
	}
	// A failure after the last phase (stopping the emulator) may have
	// spoilt what it measured.
	if last := &results[len(results)-1]; allOK && err != nil {
		*last = last.failed("end of session", err)
	}
	return results
}

// runSession sets up the emulator, the library and the proxy, then runs
// the phases, filling byKey as each ends.
func (b *bench) runSession(ctx context.Context, mode string, be backend, dir string, byKey map[string]*result) (err error) {
	s := &mountSession{cfg: b.cfg, helper: b.fuseHelper, lib: b.library, be: be, mode: mode,
		point: filepath.Join(dir, "mnt"), cacheDir: filepath.Join(dir, "cache")}
	for _, d := range []string{s.point, s.cacheDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	emuLog, err := os.Create(filepath.Join(dir, "emulator.log"))
	if err != nil {
		return err
	}
	defer func() { warnCleanup("close the emulator log", emuLog.Close()) }()
	token := "bench-mount-" + mode + "-" + be.Name
	if s.emu, err = emu.Start(ctx, b.cfg.emulator, filepath.Join(dir, "emulator-data"), token, nil, emuLog); err != nil {
		return fmt.Errorf("start emulator: %w", err)
	}
	defer func() { err = errors.Join(err, s.emu.Stop()) }()
	if err := seedFiles(ctx, &world{emu: s.emu}, s.lib.seedFiles()); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	s.proxy, err = mitm.Start(b.ca, mitm.Config{Target: s.emu.URL, Hosts: putioHosts, Delay: b.cfg.latency, DownloadPrefix: downloadPrefix})
	if err != nil {
		return fmt.Errorf("start proxy: %w", err)
	}
	defer func() { warnCleanup("close the proxy", s.proxy.Close()) }()
	s.env = rcloneEnv{dir: dir, token: token, proxyURL: s.proxy.URL(), caFile: b.caFile, timeout: b.cfg.timeout}
	defer s.abort() // a no-op once the last mount has stopped
	return s.phases(ctx, byKey)
}

// downloadPrefix is the path of the emulator's signed download URLs.
const downloadPrefix = "/download/"

// phases runs the session: mount, scans, playback, unmount, remount, scan.
func (s *mountSession) phases(ctx context.Context, byKey map[string]*result) error {
	scan := func(context.Context, func(int64)) (int64, error) { return scanLibrary(s.point, s.lib) }
	steps := []struct {
		key string
		run phaseRun
	}{
		{phaseCold, s.mounted(scan)},
		{phaseSecond, scan},
		{phaseRelist, func(ctx context.Context, mark func(read int64)) (int64, error) {
			if err := s.current().refresh(ctx); err != nil {
				return 0, err
			}
			return scan(ctx, mark)
		}},
	}
	for _, step := range steps {
		if err := s.measure(ctx, byKey[step.key], nil, step.run); err != nil {
			return err
		}
	}
	// The folder of the playback file is listed first, as a media server
	// has listed it; the file itself was never opened.
	if _, err := os.ReadDir(filepath.Join(s.point, playDir)); err != nil {
		return fmt.Errorf("list %s: %w", playDir, err)
	}
	if err := s.measure(ctx, byKey[phasePlay], byKey[phasePlayStart], func(_ context.Context, mark func(read int64)) (int64, error) {
		return play(s.point, s.lib, mark)
	}); err != nil {
		return err
	}
	if err := s.unmount(byKey[phaseCold]); err != nil {
		return err
	}
	if err := s.measure(ctx, byKey[phaseRemount], nil, s.mounted(scan)); err != nil {
		return err
	}
	return s.unmount(byKey[phaseRemount])
}

// phaseRun is what a phase does: it returns the bytes it read through
// the mount, and calls mark with the bytes read so far at the point a
// sub-measure ends, if it has one.
type phaseRun func(ctx context.Context, mark func(read int64)) (int64, error)

// mounted is run preceded by starting a new mount, which it measures too.
func (s *mountSession) mounted(run phaseRun) phaseRun {
	return func(ctx context.Context, mark func(read int64)) (int64, error) {
		m, err := startMount(ctx, s.be, s.env, s.helper, s.point, s.cacheDir, s.mode)
		if err != nil {
			return 0, err
		}
		s.mu.Lock()
		s.mount = m
		s.mu.Unlock()
		return run(ctx, mark)
	}
}

func (s *mountSession) current() *mountProc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mount
}

// unmount stops the current mount; what it logged goes to first, the
// result of the phase that started it.
func (s *mountSession) unmount(first *result) error {
	m := s.current()
	s.mu.Lock()
	s.mount = nil
	s.mu.Unlock()
	err := m.stop()
	first.Logged = m.stderr.tail(3)
	first.Command = m.cmd.Args
	if err != nil {
		first.Status, first.Error = statusFailed, err.Error()
	}
	return err
}

// abort ends the current mount at once, if there is one.
func (s *mountSession) abort() {
	if m := s.current(); m != nil {
		m.kill()
		warnCleanup("unmount "+m.point, fusemount.UnmountUnder(s.helper, m.point))
	}
}

// meters is a reading of every counter a phase is measured by.
type meters struct {
	calls            emuproc.Calls
	pulled           int64 // download reply bytes through the proxy
	refused, failing int64 // the proxy's Refused and Failed
}

func (m meters) minus(before meters) meters {
	routes := map[string]int{}
	for route, n := range m.calls.Routes {
		if d := n - before.calls.Routes[route]; d != 0 {
			routes[route] = d
		}
	}
	return meters{calls: emuproc.Calls{Routes: routes, Total: m.calls.Total - before.calls.Total},
		pulled: m.pulled - before.pulled, refused: m.refused - before.refused, failing: m.failing - before.failing}
}

// drainLimit bounds the wait for download replies still being sent once a
// phase has read what it wanted: bytes rclone asked for count against the
// phase that asked.
const drainLimit = 10 * time.Second

// read takes the counters, after waiting (if drain) for download replies
// in flight to end.
func (s *mountSession) read(ctx context.Context, drain bool) (meters, error) {
	deadline := time.Now().Add(drainLimit)
	for drain && s.proxy.Downloads().InFlight > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(mountPoll)
	}
	calls, err := s.emu.Calls(ctx)
	return meters{calls: calls, pulled: s.proxy.Downloads().Bytes, refused: s.proxy.Refused(), failing: s.proxy.Failed()}, err
}

// measure runs one phase under the per-command limit, with sub (if not
// nil) measured from the same start to the phase's call of mark: wall and
// counters at that moment, before later reads add to them.
func (s *mountSession) measure(ctx context.Context, res, sub *result, run phaseRun) error {
	before, err := s.read(ctx, true)
	if err != nil {
		*res = res.failed("read counters", err)
		return err
	}
	phaseCtx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	stopWatch := context.AfterFunc(phaseCtx, s.abort)
	start := time.Now()
	mark := func(read int64) {
		if sub == nil {
			return
		}
		wall := time.Since(start)
		now, err := s.read(ctx, false)
		if err != nil {
			*sub = sub.failed("read counters", err)
			return
		}
		sub.recordMount(wall, read, now.minus(before), nil, nil, 0)
	}
	read, runErr := run(phaseCtx, mark)
	wall := time.Since(start)
	stopWatch()
	after, err := s.read(ctx, true)
	if err != nil {
		*res = res.failed("read counters", err)
		return err
	}
	res.recordMount(wall, read, after.minus(before), runErr, phaseCtx.Err(), s.cfg.timeout)
	if sub != nil && sub.Status == "" {
		*sub = sub.failed("not run", errors.New("the phase ended before its first read"))
	}
	if res.Status != statusOK {
		return fmt.Errorf("%s: %s", res.Scenario, res.Error)
	}
	return nil
}

// recordMount fills a phase's result: its figures, and its status from
// how the run ended (a timeout, wrong bytes, or another error).
func (r *result) recordMount(wall time.Duration, read int64, m meters, runErr, ctxErr error, limit time.Duration) {
	r.Status = statusOK
	var wrong wrongData
	switch {
	case errors.Is(ctxErr, context.DeadlineExceeded):
		r.Status, r.Error = statusFailed, fmt.Sprintf("timed out after %s: %v", limit, runErr)
	case errors.As(runErr, &wrong):
		r.Status, r.Error = statusWrong, runErr.Error()
	case runErr != nil:
		r.Status, r.Error = statusFailed, runErr.Error()
	}
	r.WallSeconds = wall.Seconds()
	r.Calls, r.Routes = m.calls.Total, maps.Clone(m.calls.Routes)
	r.URLCalls = m.calls.Routes[routeURL]
	r.KeyCalls = r.URLCalls
	r.ReadBytes, r.PulledBytes = read, m.pulled
	r.ProxyRefused, r.ProxyFailed = m.refused, m.failing
}
