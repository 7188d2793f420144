#!/usr/bin/env bash
# bench.sh times the extension `extra` (Go helper) against a plain-Starlark
# baseline (e2e/bench/baseline), side by side in one run, on a real Bazel.
#
# Usage: e2e/bench/bench.sh            (as root with the offline rig, or BAZEL=...)
# Environment: BAZEL (default: the offline rig, else bazel on PATH),
#              NS="4 200" (entry counts), REPS=5 (repetitions; medians reported)
#
# For each N it serves N small .tar.gz archives from loopback and builds
# @provisioning_exts_extra//... in two workspaces that differ only in the
# extension. The helper variant gets the fetch-time helper as consumers do:
# a copy of this checkout whose lock (extensions/private/helper.lock.json)
# lists the host's prebuilt helper, built here as `release helper` builds it
# and served from the same loopback server. Measured, interleaved, REPS
# times each:
#   cold  - a fresh output base (a second workspace on this machine: Bazel's
#           repository cache is warm);
#   edit  - then re-point one entry of extras.json and rebuild.
# Once per variant and N, "first ever": a fresh output base with an empty
# repository cache (the helper variant downloads its prebuilt).
# Plus the bytes a first hub build downloads besides the archives, and the
# helper's compile time alone (the fallback when no prebuilt fits), with a
# cold and a warm Go build cache.
# It prints a Markdown report for BENCHMARKS.md.
set -euo pipefail

. "$(dirname "$0")/common.sh" bench
NS=${NS:-"4 200"}

max=0
for n in $NS; do [ "$n" -gt "$max" ] && max=$n; done

# Archives: a<i>.tar.gz and, for the edit, a<i>.v2.tar.gz.
mkdir -p "$work/srv" "$work/src"
for i in $(seq 0 $((max - 1))); do
  for v in "" .v2; do
    d=$work/src/a$i$v
    mkdir -p "$d"
    echo "artifact $i$v" >"$d/payload.bin"
    tar -C "$d" -czf "$work/srv/a$i$v.tar.gz" payload.bin
  done
done
serve_http "$work/srv"

# The helper as consumers get it: the host's prebuilt, listed in the lock of
# a copy of this checkout.
checkout=$work/checkout
mkdir -p "$checkout"
(cd "$root" && git ls-files -z | tar --null -cf - -T -) | tar -C "$checkout" -xf -
prebuilt_helper "$checkout" "$work/srv"

entry() {  # i version
  local f=$work/srv/a$1$2.tar.gz
  printf '  "artifact_%04d": {"urls": ["http://127.0.0.1:%s/a%s%s.tar.gz"], "sha256": "%s"}' \
    "$1" "$port" "$1" "$2" "$(sha256sum "$f" | cut -c1-64)"
}
extras_json() {  # n version-of-entry-0
  echo "{"
  for i in $(seq 0 $(($1 - 1))); do
    [ "$i" -gt 0 ] && echo ","
    if [ "$i" = 0 ]; then entry 0 "$2"; else entry "$i" ""; fi
  done
  echo
  echo "}"
}

make_ws() {  # variant n
  local ws=$work/ws_$1_$2
  mkdir -p "$ws"
  extras_json "$2" "" >"$ws/extras.json"
  echo 'exports_files(["extras.json"])' >"$ws/BUILD.bazel"
  if [ "$1" = helper ]; then
    cat >"$ws/MODULE.bazel" <<MOD
module(name = "bench")
bazel_dep(name = "ot_provisioning_exts")
provisioning_exts_extra = use_extension("@ot_provisioning_exts//:extension.bzl", "extra")
provisioning_exts_extra.config(allow_insecure_urls = True, file = "//:extras.json")
use_repo(provisioning_exts_extra, "provisioning_exts_extra")
MOD
    echo "common --override_module=ot_provisioning_exts=$checkout" >"$ws/.bazelrc"
  else
    cat >"$ws/MODULE.bazel" <<MOD
module(name = "bench")
bazel_dep(name = "extras_baseline")
extras = use_extension("@extras_baseline//:extras_baseline.bzl", "extras")
extras.config(file = "//:extras.json")
use_repo(extras, "provisioning_exts_extra")
MOD
    echo "common --override_module=extras_baseline=$root/e2e/bench/baseline" >"$ws/.bazelrc"
  fi
}

# run_once variant n label [extra env...]: one cold build then one edit.
run_once() {
  local variant=$1 n=$2 label=$3; shift 3
  local ws=$work/ws_${variant}_$n ob=$work/ob_${variant}_${n}_$label
  extras_json "$n" "" >"$ws/extras.json"
  local t0 t1 t2
  t0=$(now)
  (cd "$ws" && env "$@" "$BAZEL" --output_base="$ob" build --noshow_progress @provisioning_exts_extra//... >"$work/log" 2>&1) ||
    { cat "$work/log" >&2; exit 1; }
  t1=$(now)
  extras_json "$n" .v2 >"$ws/extras.json"
  (cd "$ws" && env "$@" "$BAZEL" --output_base="$ob" build --noshow_progress @provisioning_exts_extra//... >"$work/log" 2>&1) ||
    { cat "$work/log" >&2; exit 1; }
  t2=$(now)
  grep -q 'artifact 0.v2' "$ob/external/"*"provisioning_exts_extra/artifact_0000/payload.bin" ||
    { echo "bench.sh: the edit did not reach the hub ($variant, N=$n)" >&2; exit 1; }
  if [ "$variant" = helper ]; then
    grep -q '^prebuilt ' "$ob/external/"*"ot_provisioning_exts_helper/HOW" ||
      { echo "bench.sh: the helper was not the lock's prebuilt ($variant, N=$n)" >&2; exit 1; }
  fi
  (cd "$ws" && "$BAZEL" --output_base="$ob" shutdown >/dev/null 2>&1 || true)
  rm -rf "$ob"
  echo "$(echo "$t1 - $t0" | bc) $(echo "$t2 - $t1" | bc)"
}

for n in $NS; do
  for v in helper baseline; do make_ws "$v" "$n"; done
  # Warm-up: fills Bazel's repository cache and the Go build cache.
  for v in helper baseline; do run_once "$v" "$n" warm >/dev/null; done
  for v in helper baseline; do : >"$work/t_${v}_$n"; done
  for r in $(seq "$REPS"); do
    for v in helper baseline; do run_once "$v" "$n" "r$r" >>"$work/t_${v}_$n"; done
  done
  # First ever: an empty repository cache.
  for v in helper baseline; do
    echo "common --repository_cache=$work/repocache_$v$n" >>"$work/ws_${v}_$n/.bazelrc"
    run_once "$v" "$n" first >"$work/first_${v}_$n"
    sed -i '$d' "$work/ws_${v}_$n/.bazelrc"
  done
done

# The helper's compile alone, as its repository rule runs it.
src=$work/helper_src
mkdir -p "$src"
(cd "$root" && find internal/extras internal/hub tools/extras_helper -maxdepth 2 \
  \( -name '*.go' ! -name '*_test.go' -o -name '*.tmpl' \) -print | tar -cf - -T -) | tar -C "$src" -xf -
printf 'module github.com/ot-provisioning-exts/ot-provisioning-exts\n\ngo 1.22\n' >"$src/go.mod"
compile() { (cd "$src" && GOCACHE=$1 GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$work/h" ./tools/extras_helper); }
: >"$work/c_cold"; : >"$work/c_warm"
for r in $(seq "$REPS"); do
  rm -rf "$work/gc"; mkdir "$work/gc"
  t0=$(now); compile "$work/gc"; t1=$(now); compile "$work/gc"; t2=$(now)
  echo "$t1 - $t0" | bc >>"$work/c_cold"
  echo "$t2 - $t1" | bc >>"$work/c_warm"
done

echo "Bazel: $("$BAZEL" --version 2>/dev/null | head -1); $(nproc) cores; $(go version | cut -d' ' -f3); REPS=$REPS, medians in seconds."
echo
echo "| N | measure | Go helper | plain Starlark | ratio |"
echo "| ---: | --- | ---: | ---: | ---: |"
for n in $NS; do
  hc=$(awk '{print $1}' "$work/t_helper_$n" | median); bc_=$(awk '{print $1}' "$work/t_baseline_$n" | median)
  he=$(awk '{print $2}' "$work/t_helper_$n" | median); be=$(awk '{print $2}' "$work/t_baseline_$n" | median)
  hf=$(awk '{print $1}' "$work/first_helper_$n"); bf=$(awk '{print $1}' "$work/first_baseline_$n")
  printf '| %s | cold build, fresh output base (warm caches) | %s | %s | %.2fx |\n' "$n" "$hc" "$bc_" "$(echo "$hc / $bc_" | bc -l)"
  printf '| %s | rebuild after editing one entry | %s | %s | %.2fx |\n' "$n" "$he" "$be" "$(echo "$he / $be" | bc -l)"
  printf '| %s | first ever: empty repository cache (1 run) | %.2f | %.2f | %.2fx |\n' "$n" "$hf" "$bf" "$(echo "$hf / $bf" | bc -l)"
done
echo
echo "| a first hub build on a fresh machine downloads, besides the archives | bytes |"
echo "| --- | ---: |"
echo "| the prebuilt helper for $platform (Go helper) | $prebuilt_bytes |"
echo "| nothing (plain Starlark) | 0 |"
echo
echo "| helper compile (go build, as the repository rule runs it) | seconds |"
echo "| --- | ---: |"
echo "| cold Go build cache | $(median <"$work/c_cold") |"
echo "| warm Go build cache | $(median <"$work/c_warm") |"
