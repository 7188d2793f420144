#!/bin/bash
# bench.sh runs BenchmarkCheckThroughput (bench_test.go) against the code
# of OLD (default: abde9a5^, the last commit before the check's limits) and
# of this working tree, interleaved, in the
# same run: OLD's internal/archive gets this tree's bench_test.go and a
# benchCheck for its Check(path, typ, strip), without context or limits.
#
#   internal/archive/bench.sh      # OLD=abde9a5^ COUNT=5 BENCHTIME=2x
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
top=$(git rev-parse --show-toplevel)
OLD=${OLD:-abde9a5^}
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-2x}
old=$(mktemp -d)
trap 'git -C "$top" worktree remove --force "$old" >/dev/null 2>&1 || true' EXIT
git -C "$top" worktree add --detach "$old" "$OLD" >/dev/null 2>&1
cp bench_test.go "$old/internal/archive/"
cat >"$old/internal/archive/bench_shim_test.go" <<'GO'
package archive_test

import "github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive"

func benchCheck(path, typ, strip string) (*archive.Report, error) {
	return archive.Check(path, typ, strip)
}
GO
echo "old: $(git -C "$top" rev-parse --short "$OLD") ($OLD); new: the working tree of $(git -C "$top" rev-parse --short HEAD)"
echo "$(nproc) cores; $(go version | cut -d' ' -f3-); $(date -u +%F); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$old/internal/archive" && go test -c -o "$old/old.test" .)
(cd "$here" && go test -c -o "$old/new.test" .)
for i in $(seq "$COUNT"); do
	for v in old new; do
		"$old/$v.test" -test.run='^$' -test.bench=CheckThroughput -test.benchtime="$BENCHTIME" |
			sed -n "s/^Benchmark/$v Benchmark/p"
	done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
