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

# free_port prints a loopback port nothing listens on.
free_port() {
	local port
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	echo "no free port found on 127.0.0.1" >&2
	return 1
}

# wait_listening waits up to 10 s for the emulator to accept connections.
wait_listening() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return
		fi
		if ! kill -0 "$emulator_pid" 2>/dev/null; then
			echo "the emulator exited; its log:" >&2
			cat "$work/emulator.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "the emulator did not listen on port $1; its log:" >&2
	cat "$work/emulator.log" >&2
	return 1
}

port=$(free_port)
url="http://127.0.0.1:$port"
say "Starting the put.io emulator at $url (log: $work/emulator.log)"
"$emulator" -addr "127.0.0.1:$port" >"$work/emulator.log" 2>&1 &
emulator_pid=$!
wait_listening "$port"

say "Remote \"$remote:\" comes from RCLONE_CONFIG_${remote^^}_* variables; RCLONE_CONFIG points at an empty temp file"
export RCLONE_CONFIG="$work/rclone.conf"
prefix="RCLONE_CONFIG_${remote^^}_"
export "${prefix}TYPE=putio"
export "${prefix}API_URL=$url"
export "${prefix}UPLOAD_URL=$url/files/"
export "${prefix}AUTH_URL=$url/v2/oauth2/authenticate"
export "${prefix}TOKEN_URL=$url/v2/oauth2/access_token"
export "${prefix}TOKEN={\"access_token\":\"demo\",\"expiry\":\"0001-01-01T00:00:00Z\"}"
env | grep "^${prefix}" | sort | sed 's/^/    /'

say "Copying $sample up, then listing and checking it"
run "$rclone" copy --progress=false --stats-one-line -v "$sample" "$remote:sample"
run "$rclone" lsd -R "$remote:"
run "$rclone" ls "$remote:sample"
run "$rclone" check "$sample" "$remote:sample"
run "$rclone" about "$remote:"

say "Done: $sample is on the emulator, byte for byte. Try a real account with: $rclone config"
