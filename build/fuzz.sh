#!/usr/bin/env bash
# fuzz.sh FUZZTIME PKG:Target... runs each fuzz target for FUZZTIME.
#
# Go's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" at the -fuzztime boundary on a loaded machine, writing no
# failing input: a race in the toolchain (go.dev/issue/75804, fixed in Go
# 1.27), not a finding. A finding always writes a failing input, and a
# failing seed names the test file's line. Such a run is tried once more; a run that writes a
# failing input, panics or fails in any other way fails at once.
set -uo pipefail
fuzztime=$1
shift
for t in "$@"; do
	pkg=${t%%:*} name=${t##*:}
	for try in 1 2; do
		echo "fuzz $pkg $name for $fuzztime (try $try)"
		log=$(mktemp)
		"${GO:-go}" test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" -fuzzminimizetime 10s "$pkg" 2>&1 | tee "$log"
		status=${PIPESTATUS[0]}
		flake=false
		if [ "$status" -ne 0 ] && grep -q 'context deadline exceeded' "$log" &&
			! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
			flake=true
		fi
		rm -f "$log"
		if [ "$status" -eq 0 ]; then
			break
		fi
		if ! $flake || [ "$try" -eq 2 ]; then
			echo "fuzz $pkg $name failed" >&2
			exit 1
		fi
		echo "fuzz $pkg $name: the toolchain's deadline race (no failing input): once more"
	done
done
