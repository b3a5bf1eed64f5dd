package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rclone-putio/rclone-putio/bench/internal/emu"
	"github.com/rclone-putio/rclone-putio/bench/internal/mitm"
)

// plainEntrant is the baseline that a scenario with a plain
// upload also runs: one tus creation and one streaming PATCH, net/http
// only, through the same proxy.
const plainEntrant = "plain-patch"

// entrants are what runs one scenario: both rclones, and the baseline
// where the scenario defines one.
func (b *bench) entrants(sc scenario) []backend {
	if sc.plain == nil {
		return b.backends
	}
	return append(append([]backend(nil), b.backends...), backend{Name: plainEntrant, plain: true})
}

// runScenarios measures every selected scenario cfg.runs times per
// entrant, alternating entrants so drift in the machine's load hits all,
// and keeps the median run of each.
func (b *bench) runScenarios(ctx context.Context) ([]result, error) {
	results, err := b.runStandard(ctx)
	if err != nil {
		return nil, err
	}
	mount, err := b.runMount(ctx)
	return append(results, mount...), err
}

// runStandard runs the selected one-command scenarios.
func (b *bench) runStandard(ctx context.Context) ([]result, error) {
	if !b.cfg.wantsStandard() {
		return nil, nil
	}
	var results []result
	for _, sc := range scenarios(b.cfg.sz, b.data) {
		if b.cfg.only != nil && !b.cfg.only[sc.Name] {
			continue
		}
		if _, ok := b.features[sc.Emulator]; sc.Emulator != "" && !ok {
			for _, be := range b.entrants(sc) {
				res := result{Scenario: sc.Name, What: sc.What, Backend: be.Name, Status: statusNA, Error: "emulator lacks the option"}
				fmt.Println(res.progressLine())
				results = append(results, res)
			}
			continue
		}
		runs := map[string][]result{}
		for range b.cfg.runs {
			for _, be := range b.entrants(sc) {
				res := b.measure(ctx, sc, be)
				fmt.Println(res.progressLine())
				runs[be.Name] = append(runs[be.Name], res)
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
			}
		}
		for _, be := range b.entrants(sc) {
			results = append(results, medianRun(runs[be.Name]))
		}
	}
	return results, nil
}

// measure runs one scenario with one entrant on a fresh emulator and proxy.
// A run that did not end ok carries the tail of the emulator's log, which
// goes with the scratch directory.
func (b *bench) measure(ctx context.Context, sc scenario, be backend) (res result) {
	dir := filepath.Join(b.work, sc.Name+"-"+be.Name)
	defer func() { warnCleanup("remove "+dir, os.RemoveAll(dir)) }()
	defer func() {
		if res.Status == statusOK {
			return
		}
		if log, err := os.ReadFile(filepath.Join(dir, "emulator.log")); err == nil && len(log) > 0 {
			res.Error += " | emulator log: " + lastLines(string(log), 3)
		}
	}()
	res = result{Scenario: sc.Name, What: sc.What, Backend: be.Name, KeyRoute: sc.KeyRoute}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res.failed("setup", err)
	}
	emuLog, err := os.Create(filepath.Join(dir, "emulator.log"))
	if err != nil {
		return res.failed("setup", err)
	}
	defer func() { warnCleanup("close the emulator log", emuLog.Close()) }()
	token := "bench-" + sc.Name + "-" + be.Name
	e, err := emu.Start(ctx, b.cfg.emulator, filepath.Join(dir, "emulator-data"), token, b.features[sc.Emulator], emuLog)
	if err != nil {
		return res.failed("start emulator", err)
	}
	defer func() {
		// An emulator that does not stop cleanly may have failed the run.
		if err := e.Stop(); err != nil && res.Status == statusOK {
			res = res.failed("stop emulator", err)
		}
	}()
	proxy, err := mitm.Start(b.ca, mitm.Config{Target: e.URL, Hosts: putioHosts, Delay: b.cfg.latency})
	if err != nil {
		return res.failed("start proxy", err)
	}
	defer func() { warnCleanup("close the proxy", proxy.Close()) }()
	w := &world{emu: e, data: b.data, dir: dir, sz: b.cfg.sz}
	if sc.seed != nil {
		if err := sc.seed(ctx, w); err != nil {
			return res.failed("seed", err)
		}
	}
	if err := e.ResetCounters(ctx); err != nil {
		return res.failed("reset counters", err)
	}
	env := rcloneEnv{dir: dir, token: token, proxyURL: proxy.URL(), caFile: b.caFile, timeout: b.cfg.timeout}
	r, err := b.execute(ctx, sc, be, w, env, proxy)
	if err != nil {
		return res.failed("interrupt", err)
	}
	calls, err := e.Calls(ctx)
	if err != nil {
		return res.failed("read counters", err)
	}
	res.record(sc, r, calls, proxy)
	if r.Err == nil {
		if err := sc.check(ctx, w, r); err != nil {
			res.Status, res.Error = statusWrong, err.Error()
		}
	}
	return res
}

// execute runs the scenario's command once, or, for an interrupted
// scenario, kills a first attempt part-way and measures the rerun.
func (b *bench) execute(ctx context.Context, sc scenario, be backend, w *world, env rcloneEnv, proxy *mitm.Proxy) (rcloneRun, error) {
	if be.plain {
		local, name := sc.plain(w)
		return b.plainUpload(ctx, env, local, name), nil
	}
	if sc.KillAfter > 0 {
		first := runRclone(ctx, be, env, sc.args(w), proxy.AfterUploadBytes(sc.KillAfter))
		if !first.Killed {
			return first, fmt.Errorf("the first attempt ended by itself before sending %d upload bytes (%v)", sc.KillAfter, first.Err)
		}
		if err := waitUploadsAnswered(ctx, proxy); err != nil {
			return first, err
		}
	}
	return runRclone(ctx, be, env, sc.args(w), nil), nil
}

// waitUploadsAnswered waits until the server has finished with the upload
// request a killed client left behind, so the rerun meets a settled upload.
func waitUploadsAnswered(ctx context.Context, proxy *mitm.Proxy) error {
	deadline := time.Now().Add(10 * time.Second)
	for proxy.Uploads().InFlight > 0 {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("an upload request of the killed attempt is still open after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}
