# common.sh: what e2e/bench/bench.sh and e2e/bench/footprint.sh share.
# Source it after `set -euo pipefail`, with $1 the script's name:
#
#   . "$(dirname "$0")/common.sh" bench
#
# It sets root (this checkout), BAZEL (the offline rig, else bazel on PATH,
# unless set), REPS (default 5) and work (a fresh directory under /tmp that
# the rig's chroot sees); it stops every Bazel server of an output base named
# $work/ob_* and every workspace $work/ws_*, and the server serve_http
# started, when the script exits; and it defines now, median, serve_http and
# prebuilt_helper.

name=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${BAZEL:-}" ]; then
  BAZEL=$(bash "$root/e2e/rig/rig.sh" path 2>/dev/null || command -v bazel || true)
fi
[ -n "$BAZEL" ] || { echo "$name.sh: no Bazel: set BAZEL or build the rig (e2e/rig/rig.sh up)" >&2; exit 1; }
REPS=${REPS:-5}

work=$(mktemp -d "/tmp/ot-$name.XXXXXX")
export OT_RIG_MOUNTS="$work:$root"
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  for ws in "$work"/ws_*; do
    [ -d "$ws" ] && (cd "$ws" && "$BAZEL" shutdown >/dev/null 2>&1 || true)
  done
  for ob in "$work"/ob_*; do
    [ -d "$ob" ] && (cd "$work" && "$BAZEL" --output_base="$ob" shutdown >/dev/null 2>&1 || true)
  done
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

# serve_http DIR: serves DIR over plain HTTP on loopback (the benchmark
# workspaces opt in with allow_insecure_urls) and sets port.
serve_http() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 -m http.server --bind 127.0.0.1 --directory "$1" "$port" >/dev/null 2>&1 &
  server_pid=$!
  sleep 1
}

# prebuilt_helper CHECKOUT SRVDIR: gives a copy of this checkout the
# fetch-time helper as consumers get it (e2e/cmd/testlock): the host's
# prebuilt helper, built as `release helper` builds it, in SRVDIR (served by
# serve_http, which must have run), and listed in CHECKOUT's lock with the
# digest of CHECKOUT's helper sources. Sets platform and prebuilt_bytes.
prebuilt_helper() {
  local checkout=$1 srv=$2
  platform=$(go env GOOS)_$(go env GOARCH)
  (cd "$root" && go run ./e2e/cmd/testlock -checkout "$checkout" \
    -out "$srv/extras_helper-$platform" -url "http://127.0.0.1:$port/extras_helper-$platform")
  prebuilt_bytes=$(stat -c %s "$srv/extras_helper-$platform")
}
