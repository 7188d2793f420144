#!/usr/bin/env bash
# parse.sh: time the two programs that parse extras.json on files of NS
# entries written on one line (as `jq -c` writes them: no white space)
# against the same files indented (the canonical encoding that
# update_extras writes), with this checkout's code against an older commit
# (OLD), side by side in one run, and print Markdown tables of medians.
#
#   e2e/bench/parse.sh                       # NS="1000 10000 100000" REPS=3 OLD=HEAD TIMEOUT=60
#   OLD=<commit before the change> e2e/bench/parse.sh
#
# The programs, each run as its users run it:
#
#   plan   the fetch-time helper's plan step, as the module extension runs
#          it (extensions/private/extras_ext.bzl): extras_helper plan -file
#          FILE -display LABEL -workspace DIR -local "", the helper built as
#          the repository rule builds it (CGO_ENABLED=0 go build -trimpath).
#   check  update_extras check -offline -file FILE (parses and compares with
#          the canonical encoding; downloads nothing). On the one-line file
#          it reports "not in the canonical form" and exits 1, as it should.
#
# "new" is this checkout's working tree; "old" is OLD, built from a
# temporary `git worktree` that is removed at the end. Runs are
# interleaved (for each repetition: every N, program, layout and version in
# turn), REPS times; a run of the old code that takes longer than TIMEOUT
# seconds is stopped, reported as "> TIMEOUT", and not repeated. Needs go,
# git and python3 (to write the files); no network, no Bazel.
set -euo pipefail

NS=${NS:-"1000 10000 100000"}
REPS=${REPS:-3}
OLD=${OLD:-HEAD}
TIMEOUT=${TIMEOUT:-60}

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "/tmp/ot-parse.XXXXXX")
cleanup() {
	git -C "$root" worktree remove --force "$work/old-src" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

# Build both versions.
old_commit=$(git -C "$root" rev-parse --short "$OLD")
git -C "$root" worktree add --detach "$work/old-src" "$OLD" >/dev/null 2>&1
for v in new old; do
	src=$root
	[ "$v" = old ] && src=$work/old-src
	mkdir -p "$work/$v"
	(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$work/$v/extras_helper" ./tools/extras_helper)
	(cd "$src" && go build -o "$work/$v/update_extras" ./tools/update_extras)
done
git -C "$root" worktree remove --force "$work/old-src"

# The root module, as the extension sees it, holds the files.
ws=$work/ws
mkdir -p "$ws/skus"
echo 'module(name = "bench")' >"$ws/MODULE.bazel"

# gen N: writes skus/nN.indented.json (canonical) and skus/nN.one-line.json.
# Entries like the upstream ones: two URLs, sha256, strip_prefix, provenance.
gen() {
	python3 - "$1" "$ws/skus/n$1" <<'EOF'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
d = {"$schema": "./extras.schema.json"}
h = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
for i in range(n):
    name = "release_%06d" % i
    d[name] = {
        "urls": ["https://github.com/lowRISC/opentitan/releases/download/v1.0.%d/%s.tar.gz" % (i, name),
                 "https://mirror.example.com/opentitan/%s.tar.gz" % name],
        "sha256": h,
        "strip_prefix": name,
        "provenance": {"repository": "lowRISC/opentitan", "tag": "v1.0.%d" % i, "asset": name + ".tar.gz"},
    }
with open(out + ".indented.json", "w") as f:
    f.write(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
with open(out + ".one-line.json", "w") as f:
    f.write(json.dumps(d, separators=(",", ":"), ensure_ascii=False) + "\n")
EOF
}

# run VERSION PROGRAM FILE: runs it once; prints "wall cpu exit", or
# "timeout" if it took longer than TIMEOUT seconds (then it is killed: the
# old update_extras ignores SIGTERM while it parses).
run() {
	local status=0
	local -a c
	case $2 in
	plan) c=("$work/$1/extras_helper" plan -file "$3" -display @ot_provisioning_exts//skus:extras.json -workspace "$ws" -local "") ;;
	check) c=("$work/$1/update_extras" check -offline -file "$3") ;;
	esac
	echo "${c[*]}" >"$work/cmd"
	/usr/bin/time -f "%e %U %S" -o "$work/time" timeout -s KILL "$TIMEOUT" "${c[@]}" >/dev/null 2>"$work/stderr" || status=$?
	if [ "$status" = 137 ] || [ "$status" = 124 ]; then
		echo timeout
		return
	fi
	# /usr/bin/time notes a failing command on a line of its own first.
	tail -n 1 "$work/time" | awk -v s="$status" '{printf "%s %.2f %s\n", $1, $2 + $3, s}'
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

progs="plan check"
layouts="indented one-line"
versions="old new"
for n in $NS; do
	echo "writing $n entries ..." >&2
	gen "$n"
	# The indented file is canonical: check passes on it.
	"$work/new/update_extras" check -offline -file "$ws/skus/n$n.indented.json" >/dev/null
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
results=$work/results # lines: N PROGRAM LAYOUT VERSION WALL CPU
: >"$results"
for rep in $(seq 1 "$REPS"); do
	for n in $NS; do
		for p in $progs; do
			for l in $layouts; do
				for v in $versions; do
					if grep -q "^$n $p $l $v timeout" "$results"; then
						continue
					fi
					echo "rep $rep/$REPS: $n entries, $p, $l, $v ..." >&2
					r=$(run "$v" "$p" "$ws/skus/n$n.$l.json")
					if [ "$r" = timeout ]; then
						echo "$n $p $l $v timeout" >>"$results"
						continue
					fi
					read -r wall cpu status <<<"$r"
					want=0
					[ "$p" = check ] && [ "$l" = one-line ] && want=1
					if [ "$status" != "$want" ]; then
						echo "parse.sh: $(cat "$work/cmd") exited $status, want $want:" >&2
						cat "$work/stderr" >&2
						exit 1
					fi
					echo "$n $p $l $v $wall $cpu" >>"$results"
				done
			done
		done
	done
done

# cell N PROGRAM LAYOUT VERSION COLUMN: the median of a column (5 wall, 6
# CPU) of the runs, or "> TIMEOUT".
cell() {
	if grep -q "^$1 $2 $3 $4 timeout" "$results"; then
		echo "> $TIMEOUT"
		return
	fi
	awk -v k="$1 $2 $3 $4" -v c="$5" 'index($0, k " ") == 1 {print $c}' "$results" | median
}

ratio() {
	case "$1$2" in
	*'>'*) echo "-" ;;
	*) awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "-"}' ;;
	esac
}

table() {
	echo "| N | program | old: indented | old: one line | old: ratio | new: indented | new: one line | new: ratio |"
	echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for n in $NS; do
		for p in $progs; do
			oi=$(cell "$n" "$p" indented old "$1")
			oo=$(cell "$n" "$p" one-line old "$1")
			ni=$(cell "$n" "$p" indented new "$1")
			no=$(cell "$n" "$p" one-line new "$1")
			echo "| $n | $p | $oi | $oo | $(ratio "$oo" "$oi") | $ni | $no | $(ratio "$no" "$ni") |"
		done
	done
}

echo "old: $old_commit ($OLD); new: the working tree of $(git -C "$root" rev-parse --short HEAD)"
echo "$(nproc) cores; $(go version | cut -d' ' -f3-); $(date -u +%Y-%m-%d); load average before the runs: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")"
echo "REPS=$REPS, medians in seconds; a run over TIMEOUT=$TIMEOUT s was stopped (\"> $TIMEOUT\") and not repeated."
printf '\nFile sizes:'
for n in $NS; do
	printf ' %s entries: %s indented, %s one line;' "$n" \
		"$(du -h "$ws/skus/n$n.indented.json" | cut -f1)" "$(du -h "$ws/skus/n$n.one-line.json" | cut -f1)"
done
printf '\n\nWall-clock time:\n\n'
table 5
printf '\nCPU time (user + system):\n\n'
table 6
