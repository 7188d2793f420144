#!/usr/bin/env bash
# rig.sh builds (or reuses) the offline Bazel rig: a Debian sid chroot that
# holds Debian's Bazel 7.7.1, plus everything Bzlmod needs to resolve a module
# graph with rules_go, gazelle and Stardoc without the Bazel Central Registry.
#
# Usage:
#   e2e/rig/rig.sh up       build or reuse the rig, then print the wrapper path
#   e2e/rig/rig.sh path     print the wrapper path (fails if the rig is not up)
#   e2e/rig/rig.sh status   say what is built
#   e2e/rig/rig.sh down     stop the rig's Bazel servers and its mount namespace
#   e2e/rig/rig.sh clean    delete the rig (stops its Bazel servers first)
#
# Environment:
#   OT_RIG_DIR   where the rig lives (default /var/cache/ot-provisioning-exts/rig).
#                It is outside any clone on purpose, so that every run reuses it.
#   OT_RIG_MIRROR  Debian mirror for debootstrap (default: the host's own).
#
# The rig is idempotent and safe to run twice at once: every stage is guarded
# by a stamp file and the whole of "up" runs under flock. It never leaves a
# mount behind: the wrapper and the setup steps mount inside a private mount
# namespace (unshare), which disappears with the last process in it.
#
# See e2e/README.md for the design, and for the one thing the rig's Bazel
# cannot do (write a real MODULE.bazel.lock).
set -euo pipefail

RIG_DIR=${OT_RIG_DIR:-/var/cache/ot-provisioning-exts/rig}
ROOT=$RIG_DIR/root          # the chroot
OPT=/opt/rig                # rig files, as seen from inside the chroot
HOST_OPT=$ROOT$OPT          # the same, as seen from the host

# Versions. Bump RIG_MODULES_VERSION when anything in stage_modules changes,
# so that existing rigs rebuild that stage.
RULES_GO_VERSION=v0.59.0
GAZELLE_VERSION=v0.49.0
GAZELLE_V2_VERSION=v2.0.0-1
BUILDTOOLS_VERSION=v0.0.0-20260904073137-eaa4d125b423
RIG_MODULES_VERSION=4
# Bump RIG_STARDOC_VERSION when anything in stage_stardoc changes.
STARDOC_VERSION=0.8.1
RIG_STARDOC_VERSION=4

log() { printf 'rig: %s\n' "$*" >&2; }
die() { printf 'rig: error: %s\n' "$*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "building the rig needs root (debootstrap, chroot, mount); run as root or set BAZEL to a Bazel >= 7.1"
}

host_mirror() {
  if [ -n "${OT_RIG_MIRROR:-}" ]; then echo "$OT_RIG_MIRROR"; return; fi
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  if [ -z "$uri" ]; then
    uri=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  fi
  [ -n "$uri" ] || die "cannot find the host's Debian mirror; set OT_RIG_MIRROR"
  echo "$uri"
}

# in_chroot runs a command inside the chroot, in a private mount namespace
# with /proc and /dev mounted. Nothing stays mounted when it returns.
in_chroot() {
  unshare --mount --propagation private -- /bin/sh -c '
    set -e
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
      DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
  ' in_chroot "$ROOT" "$@"
}

stage_base() {
  [ -e "$RIG_DIR/base.ok" ] && return
  need_root
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  rm -rf "$ROOT"
  mkdir -p "$ROOT"
  local mirror; mirror=$(host_mirror)
  log "debootstrap sid from $mirror into $ROOT (about a minute)"
  debootstrap --variant=minbase sid "$ROOT" "$mirror" >"$RIG_DIR/debootstrap.log" 2>&1 ||
    { tail -n 20 "$RIG_DIR/debootstrap.log" >&2; die "debootstrap failed; full log in $RIG_DIR/debootstrap.log"; }
  # The archive that serves sid here can be a frozen snapshot whose Release
  # file has expired; apt would refuse it.
  echo 'Acquire::Check-Valid-Until "false";' >"$ROOT/etc/apt/apt.conf.d/99rig-no-valid-until"
  touch "$RIG_DIR/base.ok"
}

stage_bazel() {
  [ -e "$RIG_DIR/bazel.ok" ] && return
  need_root
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  log "installing Debian's bazel-bootstrap in the chroot (about a minute)"
  in_chroot apt-get update -qq >"$RIG_DIR/apt.log" 2>&1 ||
    { tail -n 20 "$RIG_DIR/apt.log" >&2; die "apt-get update in the chroot failed; log in $RIG_DIR/apt.log"; }
  in_chroot apt-get install -y -qq --no-install-recommends bazel-bootstrap bazel-rules-shell ca-certificates >>"$RIG_DIR/apt.log" 2>&1 ||
    { tail -n 20 "$RIG_DIR/apt.log" >&2; die "apt-get install in the chroot failed; log in $RIG_DIR/apt.log"; }
  in_chroot apt-get clean
  touch "$RIG_DIR/bazel.ok"
}

# go_mod_dir downloads a Go module through the proxy and prints its directory
# in the module cache.
go_mod_dir() {
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$1") |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
  rm -rf "$tmp"
}

# copy_module copies a module out of the (read-only) Go module cache into a
# writable directory and restores the executable bits the cache drops.
copy_module() {
  local src=$1 dst=$2
  [ -d "$src" ] || die "module directory $src missing"
  rm -rf "$dst"
  mkdir -p "$(dirname "$dst")"
  cp -r "$src" "$dst"
  chmod -R u+w "$dst"
  find "$dst" -name '*.sh' -exec chmod +x {} +
}

write_standin() {  # name version
  local dir=$HOST_OPT/modules/$1
  rm -rf "$dir"; mkdir -p "$dir"
  cat >"$dir/MODULE.bazel" <<MOD
# STAND-IN, written by e2e/rig/rig.sh: the offline rig cannot download the
# real "$1" module, and nothing in the test graph builds it. Bazel only needs
# to read its MODULE.bazel.
module(
    name = "$1",
    version = "$2",
)
MOD
  echo "# STAND-IN for the $1 module; see MODULE.bazel." >"$dir/BUILD.bazel"
}

# register NAME SOURCE_DIR VERSION... adds a local_path module to the rig's
# registry. SOURCE_DIR is a path inside the chroot.
register() {
  local name=$1 src=$2; shift 2
  local dir=$HOST_OPT/registry/modules/$name versions="" v
  for v in "$@"; do
    mkdir -p "$dir/$v"
    # The registry's copy of MODULE.bazel is what resolution reads; give it
    # the version it is listed under.
    # (module( must open its own line, as it does in every module listed.)
    sed -e '/^module($/,/^)/{/^[[:space:]]*version = /d}' \
        -e 's/^module($/module(\n    version = "'"$v"'",/' "$ROOT$src/MODULE.bazel" >"$dir/$v/MODULE.bazel"
    grep -q "version = \"$v\"" "$dir/$v/MODULE.bazel" || die "could not set the version of $name to $v in the rig's registry"
    printf '{"type": "local_path", "path": "%s"}\n' "$src" >"$dir/$v/source.json"
    versions="$versions${versions:+, }\"$v\""
  done
  printf '{"versions": [%s]}\n' "$versions" >"$dir/metadata.json"
}

stage_modules() {
  local stamp=$RIG_DIR/modules-$RIG_MODULES_VERSION.ok
  [ -e "$stamp" ] && return
  need_root
  command -v go >/dev/null || die "go is not on PATH (expected /usr/local/go/bin)"
  mkdir -p "$HOST_OPT/modules" "$HOST_OPT/bin"

  log "rules_go $RULES_GO_VERSION and gazelle $GAZELLE_VERSION from the Go module proxy"
  copy_module "$(go_mod_dir github.com/bazelbuild/rules_go@$RULES_GO_VERSION)" "$HOST_OPT/modules/rules_go"
  copy_module "$(go_mod_dir github.com/bazel-contrib/bazel-gazelle@$GAZELLE_VERSION)" "$HOST_OPT/modules/gazelle"
  # Go module zips leave out the nested v2 module that gazelle's BUILD files
  # expect; fill it in from its own module.
  copy_module "$(go_mod_dir github.com/bazel-contrib/bazel-gazelle/v2@$GAZELLE_V2_VERSION)" "$HOST_OPT/modules/gazelle/v2"

  # Stand-ins for modules in Bazel 7.7.1's graph that nothing builds here.
  write_standin protobuf 29.0
  write_standin apple_support 1.15.1
  write_standin zlib 1.3.1

  # package_metadata: gazelle's go_repository BUILD files load this macro and
  # reference //:package_metadata, so the stand-in must declare that target.
  write_standin package_metadata 0.0.2
  mkdir -p "$HOST_OPT/modules/package_metadata/rules"
  : >"$HOST_OPT/modules/package_metadata/rules/BUILD.bazel"
  cat >"$HOST_OPT/modules/package_metadata/rules/package_metadata.bzl" <<'BZL'
"""STAND-IN for package_metadata's macro: declares the target, records nothing."""

def package_metadata(name, visibility = None, **kwargs):
    # applicable_licenses = [] breaks the dependency cycle through the
    # package's default_package_metadata.
    native.filegroup(name = name, srcs = [], applicable_licenses = [], visibility = visibility)
BZL

  # buildozer: `bazel mod tidy` runs @buildozer_binary//:buildozer.exe, so the
  # stand-in exposes a real buildozer built from bazelbuild/buildtools.
  log "building buildozer from github.com/bazelbuild/buildtools@$BUILDTOOLS_VERSION"
  GOBIN=$HOST_OPT/bin CGO_ENABLED=0 GOFLAGS=-mod=mod go install "github.com/bazelbuild/buildtools/buildozer@$BUILDTOOLS_VERSION"
  write_standin buildozer 7.1.2
  local bz=$HOST_OPT/modules/buildozer
  cat >>"$bz/MODULE.bazel" <<'MOD'

buildozer_binary = use_extension("//:buildozer_binary.bzl", "buildozer_binary")
use_repo(buildozer_binary, "buildozer_binary")
MOD
  cat >"$bz/buildozer_binary.bzl" <<BZL
"""STAND-IN: exposes a real buildozer, built by e2e/rig/rig.sh, as @buildozer_binary//:buildozer.exe."""

def _buildozer_binary_repo_impl(rctx):
    rctx.symlink("$OPT/bin/buildozer", "buildozer.exe")
    rctx.file("BUILD.bazel", 'exports_files(["buildozer.exe"])\n')

_buildozer_binary_repo = repository_rule(implementation = _buildozer_binary_repo_impl)

def _buildozer_binary_impl(module_ctx):
    _buildozer_binary_repo(name = "buildozer_binary")
    return module_ctx.extension_metadata(reproducible = True)

buildozer_binary = module_extension(implementation = _buildozer_binary_impl)
BZL

  # The host's TLS roots, so that go_deps and gazelle's tools can reach the
  # Go module proxy: at $SSL_CERT_FILE, and at the system path too, since not
  # every repository rule passes SSL_CERT_FILE on to the go command.
  local bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
  cp "$bundle" "$HOST_OPT/ca-certificates.crt"
  mkdir -p "$ROOT/etc/ssl/certs"
  cp "$bundle" "$ROOT/etc/ssl/certs/ca-certificates.crt"

  # A local registry for the modules that only some graphs contain (an
  # --override_module for a module outside the graph is an error). Bazel
  # reads the MODULE.bazel of every version anyone asks for, so each
  # requested version is listed; all versions of a module are served from the
  # one source tree above (the selected version is the one the rig tests).
  rm -rf "$HOST_OPT/registry"
  mkdir -p "$HOST_OPT/registry/modules"
  echo '{"mirrors": []}' >"$HOST_OPT/registry/bazel_registry.json"
  register rules_go "$OPT/modules/rules_go" 0.59.0
  register gazelle "$OPT/modules/gazelle" 0.36.0 0.49.0
  register package_metadata "$OPT/modules/package_metadata" 0.0.2 0.0.5
  register rules_shell /usr/share/bazel/rules/shell 0.2.0 0.3.0

  cat >"$HOST_OPT/bazelrc" <<RC
# Generated by e2e/rig/rig.sh. Offline module resolution for the rig only;
# nothing in ot_provisioning_exts' own MODULE.bazel depends on it.
common --noenable_workspace
common --registry=file://$OPT/registry
# Stand-ins for modules that every Bazel 7.7.1 graph reads but nothing here
# builds.
common --override_module=protobuf=$OPT/modules/protobuf
common --override_module=apple_support=$OPT/modules/apple_support
common --override_module=zlib=$OPT/modules/zlib
common --override_module=buildozer=$OPT/modules/buildozer
RC
  touch "$stamp"
}

# stage_stardoc makes Stardoc work offline, for this module's API reference
# (docs/). Debian's bazel-stardoc is Stardoc $STARDOC_VERSION as a local module
# (/usr/share/bazel/tools/stardoc) with a prebuilt renderer jar; it is listed
# in the rig's registry, where this module's dev dependency on stardoc finds
# it (Debian's /etc/bazel/bazelrc does not override it, and no other module
# in the rig's graphs asks for it except as a dev dependency). The renderer
# is a java_binary, so Java rules must work offline too; their flags go into
# a bazelrc of their own that the rig's bazelrc imports.
#
# It is a stage of its own, after stage_modules, so that an existing rig
# gains it without rebuilding anything else.
stage_stardoc() {
  local stamp=$RIG_DIR/stardoc-$RIG_STARDOC_VERSION.ok
  # stage_modules rewrites the registry and the bazelrc from scratch, so what
  # this stage adds is only there if it ran after stage_modules.
  [ -e "$stamp" ] && [ "$stamp" -nt "$RIG_DIR/modules-$RIG_MODULES_VERSION.ok" ] && return
  need_root
  log "installing Debian's bazel-stardoc and bazel-java-tools in the chroot"
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  { in_chroot apt-get update -qq &&
    in_chroot apt-get install -y -qq --no-install-recommends bazel-stardoc bazel-java-tools &&
    in_chroot apt-get clean; } >>"$RIG_DIR/apt.log" 2>&1 ||
    { tail -n 20 "$RIG_DIR/apt.log" >&2; die "installing bazel-stardoc in the chroot failed; log in $RIG_DIR/apt.log"; }

  local src=/usr/share/bazel/tools/stardoc
  grep -q "version = \"$STARDOC_VERSION\"" "$ROOT$src/MODULE.bazel" ||
    die "Debian's bazel-stardoc is not Stardoc $STARDOC_VERSION (see $ROOT$src/MODULE.bazel); update STARDOC_VERSION here and stardoc's version in MODULE.bazel"
  register stardoc "$src" "$STARDOC_VERSION"

  # Java rules offline. rules_java downloads its java_tools, and JDKs: its
  # default java_toolchain runs on JDK 21 (remotejdk21_linux), and tools such
  # as the renderer run on JDK 11 (remotejdk11_linux, the default
  # --tool_java_runtime_version). Debian's bazel-java-tools is that
  # java_tools; both JDKs are the system one, which rules_java's own local_jdk
  # repository finds (a stand-in repository aliases it). Selecting local_jdk
  # with --tool_java_runtime_version=local_jdk instead works on Bazel 7 only:
  # Debian's rules_java 7.6.5 fails to match its name under
  # --incompatible_use_plus_in_repo_names. Repositories are overridden under
  # both spellings of their canonical names, Bazel 7's and Bazel 8's (or
  # --incompatible_use_plus_in_repo_names'); the one that names no
  # repository is ignored.
  local java_tools
  java_tools=$(in_chroot dpkg -L bazel-java-tools | grep '/bazel/java_tools$' | head -n 1)
  [ -n "$java_tools" ] && [ -e "$ROOT$java_tools/BUILD" ] || die "cannot find bazel-java-tools' repository in the chroot"
  local jdk=$HOST_OPT/modules/system_jdk
  rm -rf "$jdk"; mkdir -p "$jdk"
  echo "# STAND-IN, written by e2e/rig/rig.sh: the system JDK where rules_java downloads one." >"$jdk/REPO.bazel"
  cat >"$jdk/BUILD.bazel" <<'BUILD'
# STAND-IN, written by e2e/rig/rig.sh: overrides rules_java's remotejdk11_linux
# and remotejdk21_linux (JDK downloads) with the system JDK, as rules_java's
# local_jdk finds it.
alias(
    name = "jdk",
    actual = "@local_jdk//:jdk",
    visibility = ["//visibility:public"],
)
BUILD
  {
    echo "# Generated by e2e/rig/rig.sh (stage_stardoc): Java rules offline, for Stardoc's"
    echo "# renderer: Debian's java_tools and the system JDK instead of rules_java's downloads."
    local sep repo
    for sep in '~~:~' '++:+'; do
      for repo in remote_java_tools remote_java_tools_linux; do
        echo "common --override_repository=rules_java${sep%%:*}toolchains${sep##*:}$repo=$java_tools"
      done
      for repo in remotejdk11_linux remotejdk21_linux; do
        echo "common --override_repository=rules_java${sep%%:*}toolchains${sep##*:}$repo=$OPT/modules/system_jdk"
      done
    done
  } >"$HOST_OPT/java.bazelrc"
  grep -qxF "import $OPT/java.bazelrc" "$HOST_OPT/bazelrc" ||
    printf '\n# Java rules offline (stage_stardoc).\nimport %s\n' "$OPT/java.bazelrc" >>"$HOST_OPT/bazelrc"
  rm -f "$RIG_DIR"/stardoc-*.ok
  touch "$stamp"
}

stage_wrapper() {
  mkdir -p "$RIG_DIR/bin"
  local w=$RIG_DIR/bin/bazel
  {
    cat <<'WRAP'
#!/usr/bin/env bash
# Generated by e2e/rig/rig.sh: runs Debian's Bazel 7.7.1 inside the rig's
# chroot. Host paths are bind-mounted at the same absolute paths, so every
# path Bazel prints is valid on the host too: /tmp, the current directory,
# /usr/local/go, the Go module and build caches, Bazel's output user root and
# each directory listed in OT_RIG_MOUNTS (colon-separated).
#
# The mounts live in one private mount namespace, held by a small process
# ("ot-rig-mntns"), never on the host. Every call enters that namespace, so
# the Bazel server started by one call is reused by the next (a server in
# another namespace would look "moved" to the client and be restarted).
# `e2e/rig/rig.sh down` ends the namespace.
set -euo pipefail
WRAP
    printf 'RIG_DIR=%q\nROOT=%q\nOPT=%q\n' "$RIG_DIR" "$ROOT" "$OPT"
    cat <<'WRAP'
CACHE=$RIG_DIR/cache
gomodcache=$(go env GOMODCACHE 2>/dev/null || echo /root/go/pkg/mod)
gocache=$(go env GOCACHE 2>/dev/null || echo /root/.cache/go-build)
goproxy=$(go env GOPROXY 2>/dev/null || echo https://proxy.golang.org,direct)
mkdir -p "$gomodcache" "$gocache" "$CACHE"

# ns_pid prints the PID of the live namespace holder, if any.
ns_pid() {
  local pid
  pid=$(cat "$RIG_DIR/mntns.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '^ot-rig-mntns ' || return 1
  echo "$pid"
}

# Start the namespace holder once; flock keeps concurrent calls in step.
exec 8>"$RIG_DIR/.mntns.lock"
flock 8
if ! pid=$(ns_pid); then
  setsid unshare --mount --propagation private bash -c '
    mount -t proc proc "$1/proc"
    mount --rbind /dev "$1/dev"
    exec -a ot-rig-mntns sleep infinity
  ' rig-mntns "$ROOT" </dev/null >/dev/null 2>&1 8>&- 9>&- &
  pid=$!
  for _ in $(seq 100); do
    [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" != "$(readlink /proc/self/ns/mnt)" ] &&
      tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '^ot-rig-mntns ' && break
    sleep 0.05
  done
  echo "$pid" >"$RIG_DIR/mntns.pid"
  ns_pid >/dev/null || { echo "rig: could not start the mount namespace holder" >&2; exit 1; }
fi

# Bind-mount each directory the call needs, unless the chroot already sees
# it (the same inode at the same path, say through the /tmp mount).
# Bazel's output user root lives on the host too, so bazel-bin resolves there.
mounts="/tmp:/usr/local/go:$gomodcache:$gocache:$CACHE:$PWD:${OT_RIG_MOUNTS:-}"
nsenter -t "$pid" -m -- /bin/sh -c '
  root=$1 mounts=$2
  IFS=:
  for p in $mounts; do
    [ -n "$p" ] && [ -d "$p" ] || continue
    [ "$(stat -c %d:%i "$p")" = "$(stat -c %d:%i "$root$p" 2>/dev/null)" ] && continue
    mkdir -p "$root$p"
    mount --bind "$p" "$root$p"
  done
' rig-mounts "$ROOT" "$mounts"
flock -u 8
exec 8>&-

cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
exec nsenter -t "$pid" -m -- chroot "$ROOT" /bin/sh -c 'cd "$0" && exec "$@"' "$PWD" \
  /usr/bin/env -i HOME=/root USER=root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
  PATH=/usr/local/go/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  SSL_CERT_FILE="$OPT/ca-certificates.crt" GOPROXY="$goproxy" \
  GOMODCACHE="$gomodcache" GOCACHE="$gocache" GOTOOLCHAIN=local \
  bazel --bazelrc="$OPT/bazelrc" --output_user_root="$CACHE/bazel" "$@"
WRAP
  } >"$w.tmp"
  chmod +x "$w.tmp"
  mv "$w.tmp" "$w"
}

cmd_up() {
  mkdir -p "$RIG_DIR"
  exec 9>"$RIG_DIR/.lock"
  if ! flock -n 9; then
    log "another rig.sh is building $RIG_DIR; waiting for it"
    flock 9
  fi
  local reused=yes
  for s in base.ok bazel.ok "modules-$RIG_MODULES_VERSION.ok" "stardoc-$RIG_STARDOC_VERSION.ok"; do
    [ -e "$RIG_DIR/$s" ] || reused=no
  done
  local start=$SECONDS
  stage_base
  stage_bazel
  stage_modules
  stage_stardoc
  stage_wrapper
  flock -u 9
  exec 9>&-
  if [ "$reused" = yes ]; then
    log "reused the rig at $RIG_DIR"
  else
    log "built the rig at $RIG_DIR in $((SECONDS - start)) s"
  fi
  log "$("$RIG_DIR/bin/bazel" --version 2>/dev/null || echo 'bazel --version failed')"
  echo "$RIG_DIR/bin/bazel"
}

cmd_path() {
  [ -x "$RIG_DIR/bin/bazel" ] && [ -e "$RIG_DIR/modules-$RIG_MODULES_VERSION.ok" ] &&
    [ -e "$RIG_DIR/stardoc-$RIG_STARDOC_VERSION.ok" ] ||
    die "the rig at $RIG_DIR is not built; run e2e/rig/rig.sh up"
  echo "$RIG_DIR/bin/bazel"
}

cmd_status() {
  echo "rig dir: $RIG_DIR"
  for s in base.ok bazel.ok "modules-$RIG_MODULES_VERSION.ok" "stardoc-$RIG_STARDOC_VERSION.ok"; do
    if [ -e "$RIG_DIR/$s" ]; then echo "  ${s%.ok}: built"; else echo "  ${s%.ok}: missing"; fi
  done
}

# cmd_down stops the Bazel servers running in the chroot and the mount
# namespace holder, which removes every mount the rig made.
cmd_down() {
  local p stopped=0
  for p in /proc/[0-9]*; do
    if [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ]; then
      kill "${p#/proc/}" 2>/dev/null && stopped=$((stopped + 1))
    fi
  done
  local pid
  pid=$(cat "$RIG_DIR/mntns.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '^ot-rig-mntns '; then
    kill "$pid"
  fi
  rm -f "$RIG_DIR/mntns.pid"
  log "down: stopped $stopped process(es) in the chroot and its mount namespace"
}

cmd_clean() {
  need_root
  mkdir -p "$RIG_DIR"
  exec 9>"$RIG_DIR/.lock"
  flock 9
  # Stop Bazel servers started from the chroot, so no mount namespace keeps
  # files open, then delete. rm never crosses into bind mounts: they only
  # exist inside the servers' private namespaces.
  cmd_down
  sleep 1
  rm -rf "$ROOT" "$RIG_DIR/bin" "$RIG_DIR/cache" "$RIG_DIR"/*.ok "$RIG_DIR"/*.log
  log "removed $RIG_DIR"
}

case "${1:-up}" in
  up) cmd_up ;;
  down) cmd_down ;;
  path) cmd_path ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  -h|--help|help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1'; see e2e/rig/rig.sh --help" ;;
esac
