#!/usr/bin/env bash
# make demo: copy demo/sample to a local put.io emulator with bin/rclone,
# list and check it, then stop the emulator. Needs no put.io account and
# never reads or writes your own rclone config.
set -euo pipefail
cd "$(dirname "$0")/.."

rclone=bin/rclone
emulator=bin/putio-emulator
sample=demo/sample
remote=emu
prefix=RCLONE_CONFIG_EMU_ # rclone reads remote "emu" from these variables

for bin in "$rclone" "$emulator"; do
	if [ ! -x "$bin" ]; then
		echo "$bin is missing: run \"make demo\", which builds it first" >&2
		exit 1
	fi
done

work=$(mktemp -d)
emulator_pid=
cleanup() {
	if [ -n "$emulator_pid" ]; then
		say "Stopping the emulator (pid $emulator_pid)"
		kill "$emulator_pid" 2>/dev/null || true
		wait "$emulator_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n==> %s\n' "$*"; }

# run echoes a command, then runs it with the remote's config in place.
run() {
	printf '\n$ %s\n' "$*"
	"$@"
}

# emulator_url waits up to 10 s for the emulator's first line, which
# names the URL it listens on, and prints that URL.
emulator_url() {
	local line
	for _ in $(seq 100); do
		line=$(head -n 1 "$work/emulator.out")
		if [[ $line =~ ^putio-emulator\ listening\ on\ (http://[^[:space:]]+)$ ]]; then
			echo "${BASH_REMATCH[1]}"
			return
		fi
		if ! kill -0 "$emulator_pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	echo "the emulator did not start; its output:" >&2
	cat "$work/emulator.out" >&2
	return 1
}

say "Starting the put.io emulator on a free port (no put.io account needed)"
"$emulator" -addr 127.0.0.1:0 -tokens demo -remote-name "$remote" >"$work/emulator.out" 2>&1 &
emulator_pid=$!
url=$(emulator_url)
echo "    listening on $url"

say "Remote \"$remote:\" comes from the ${prefix}* variables the emulator printed; RCLONE_CONFIG points at an empty temp file"
export RCLONE_CONFIG="$work/rclone.conf"
: >"$RCLONE_CONFIG"
# The emulator prints the remote with its URL line, in the same write.
eval "$(grep "^export ${prefix}" "$work/emulator.out")"
env | grep "^${prefix}" | sort | sed 's/^/    /'

say "Copying $sample up, listing it and checking it against the local copy by CRC-32"
run "$rclone" copy --stats-one-line -v "$sample" "$remote:sample"
run "$rclone" lsd -R "$remote:"
run "$rclone" ls "$remote:sample"
run "$rclone" check "$sample" "$remote:sample"
run "$rclone" about "$remote:"

say "Done: $sample is on the emulator, byte for byte. Try a real account with: $rclone config"
