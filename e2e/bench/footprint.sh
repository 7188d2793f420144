#!/usr/bin/env bash
# footprint.sh measures what connecting ot_provisioning_exts adds to an
# OpenTitan-shaped build, on a real Bazel, in one run.
#
# Usage: e2e/bench/footprint.sh         (as root with the offline rig, or BAZEL=...)
# Environment: BAZEL (default: the offline rig, else bazel on PATH),
#              REPS=5 (repetitions of the timed builds; medians reported)
#
# Two copies of the OpenTitan stand-in (e2e/opentitan), both exactly as
# OpenTitan's MODULE.bazel is (no rules_go, no go_sdk):
#   dummy     - OpenTitan's in-tree dummy of ot_provisioning_exts (no flag);
#   connected - this checkout, with --override_module=ot_provisioning_exts=<it>.
# For each it counts the modules in the graph (bazel mod graph), and the
# repositories that a cold build of one of OpenTitan's own targets, which
# never touches the hub, fetches; and it times that cold build (fresh output
# base, warm repository cache). A third copy, connected, times the first
# build of @provisioning_exts_extra//... against 4 archives from loopback,
# and gives the connected module count (`bazel mod graph` evaluates every
# module extension, which needs the helper). The checkout's lock lists the
# host's prebuilt helper, served from loopback (prebuilt_helper in
# common.sh): the helper as consumers get it, with no Go.
# It prints a Markdown report for BENCHMARKS.md.
set -euo pipefail

. "$(dirname "$0")/common.sh" footprint
TARGET=//sw/device/silicon_creator/manuf/base:provisioning_inputs

# 4 sample archives, served over plain HTTP on loopback: the hub workspace
# opts in with extra.config(allow_insecure_urls = True), for this benchmark.
mkdir -p "$work/srv" "$work/checkout"
for a in presign_perso presign_rom_ext perso_release rom_ext_release; do
  mkdir -p "$work/src/$a"
  echo "$a" >"$work/src/$a/$a.bin"
  tar -C "$work/src/$a" -czf "$work/srv/$a.tar.gz" "$a.bin"
done
serve_http "$work/srv"

# A copy of this checkout whose extras.json lists the 4 archives.
(cd "$root" && git ls-files -z | grep -zv '^e2e/' | xargs -0 tar -cf -) | tar -C "$work/checkout" -xf -
{
  echo "{"
  sep=""
  for a in presign_perso presign_rom_ext perso_release rom_ext_release; do
    printf '%s  "%s": {"urls": ["http://127.0.0.1:%s/%s.tar.gz"], "sha256": "%s"}' \
      "$sep" "$a" "$port" "$a" "$(sha256sum "$work/srv/$a.tar.gz" | cut -c1-64)"
    sep=$',\n'
  done
  printf '\n}\n'
} >"$work/checkout/skus/extras.json"
prebuilt_helper "$work/checkout" "$work/srv"

standin() {  # name [override] [hub]
  local d=$work/$1
  cp -r "$root/e2e/opentitan" "$d"
  rm -f "$d/MODULE.bazel.lock"
  if [ "${3:-}" = hub ]; then
    # The archives are served over plain HTTP on loopback: allow that here.
    echo 'provisioning_exts_extra.config(allow_insecure_urls = True)' >>"$d/MODULE.bazel"
  fi
  if [ "${2:-}" = override ]; then
    echo "common --override_module=ot_provisioning_exts=$work/checkout" >>"$d/.bazelrc"
  fi
}
standin dummy
standin connected override
standin hub override hub

bz() {  # workspace output_base args...
  local ws=$1 ob=$2; shift 2
  (cd "$work/$ws" && "$BAZEL" --output_base="$ob" "$@")
}

modules() {  # workspace
  bz "$1" "$work/ob_mod_$1" mod graph --noshow_progress 2>/dev/null |
    grep -o '[A-Za-z0-9_.-]*@[A-Za-z0-9_.+-]*' | sort -u >"$work/modules_$1"
  bz "$1" "$work/ob_mod_$1" shutdown >/dev/null 2>&1 || true
  rm -rf "$work/ob_mod_$1"
  wc -l <"$work/modules_$1"
}

# cold_build workspace label target: a fresh output base; prints seconds and
# leaves the list of fetched repositories in $work/repos_<workspace>.
cold_build() {
  local ws=$1 ob=$work/ob_$1_$2 t0 t1
  t0=$(now)
  bz "$ws" "$ob" build --noshow_progress "$3" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  t1=$(now)
  ls "$ob/external" | grep -v '\.marker$' | grep -v '^@' | sort >"$work/repos_$ws"
  bz "$ws" "$ob" shutdown >/dev/null 2>&1 || true
  rm -rf "$ob"
  echo "$t1 - $t0" | bc
}

# `bazel mod graph` evaluates every module extension, so connected to this
# module it needs the helper and the hub's archives: count in the copy that
# allows the loopback archives (its module graph is the connected one's).
m_dummy=$(modules dummy)
m_conn=$(modules hub)
cp "$work/modules_hub" "$work/modules_connected"

# Warm-up: fills the repository cache.
cold_build dummy warm "$TARGET" >/dev/null
cold_build connected warm "$TARGET" >/dev/null
cold_build hub warm @provisioning_exts_extra//... >/dev/null
: >"$work/t_dummy"; : >"$work/t_connected"; : >"$work/t_hub"
for r in $(seq "$REPS"); do
  cold_build dummy "r$r" "$TARGET" >>"$work/t_dummy"
  cold_build connected "r$r" "$TARGET" >>"$work/t_connected"
  cold_build hub "r$r" @provisioning_exts_extra//... >>"$work/t_hub"
done
r_dummy=$(wc -l <"$work/repos_dummy")
r_conn=$(wc -l <"$work/repos_connected")

strip_name() { sed -e 's/[~+].*//' "$1" | sort -u; }

echo "Bazel: $("$BAZEL" --version 2>/dev/null | head -1); $(nproc) cores; REPS=$REPS, medians in seconds."
echo
echo "| measure | OpenTitan with its dummy | connected to this module | added |"
echo "| --- | ---: | ---: | ---: |"
echo "| modules in the graph (bazel mod graph) | $m_dummy | $m_conn | $((m_conn - m_dummy)) |"
echo "| repositories fetched by a cold build of \`$TARGET\` | $r_dummy | $r_conn | $((r_conn - r_dummy)) |"
td=$(median <"$work/t_dummy"); tc=$(median <"$work/t_connected")
printf '| cold build of `%s` (fresh output base, warm caches) | %s | %s | %.2fx |\n' "$TARGET" "$td" "$tc" "$(echo "$tc / $td" | bc -l)"
echo
echo "Modules added: $(comm -13 "$work/modules_dummy" "$work/modules_connected" | tr '\n' ' ')"
echo
echo "Repositories added to that build (canonical names): $(comm -13 "$work/repos_dummy" "$work/repos_connected" | tr '\n' ' ')"
echo
if grep -q -e 'helper' -e 'go_default_sdk' -e 'provisioning_exts_extra' "$work/repos_connected"; then
  echo "That build fetched a Go SDK, the helper or the hub: $(grep -e helper -e go_default_sdk -e provisioning_exts_extra "$work/repos_connected" | tr '\n' ' ')"
else
  echo "That build fetched no Go SDK, compiled no helper and fetched no archive."
fi
echo
echo "| build (connected; the helper is the lock's prebuilt, $prebuilt_bytes bytes) | seconds |"
echo "| --- | ---: |"
echo "| first build of \`@provisioning_exts_extra//...\`, 4 archives (fresh output base, warm caches) | $(median <"$work/t_hub") |"
