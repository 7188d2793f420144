#!/usr/bin/env bash
# bench.sh: time `update_extras check` against curl + sha256sum over the same
# archives, served from a loopback HTTP server, and print a Markdown table.
#
# Run from the repository root:
#
#   tools/update_extras/bench.sh              # 8 archives of 32 MiB
#   N=16 SIZE_MIB=8 JOBS=4 tools/update_extras/bench.sh
#
# Needs python3 (the server: python3 -m http.server), curl, sha256sum, tar,
# gzip and go. Everything happens on 127.0.0.1 and in a temporary directory
# that is removed at the end.
set -euo pipefail

N=${N:-8}               # archives
SIZE_MIB=${SIZE_MIB:-32} # size of each archive's content (random, so incompressible)
JOBS=${JOBS:-4}          # parallel downloads, for the tool and for xargs -P

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
server_pid=
cleanup() {
	if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/srv" "$work/ws/skus" "$work/dl"
echo "generating $N archives of $SIZE_MIB MiB in $work/srv ..." >&2
for i in $(seq 1 "$N"); do
	d="$work/gen/rel-$i"
	mkdir -p "$d"
	head -c "$((SIZE_MIB << 20))" /dev/urandom >"$d/firmware.bin"
	tar -C "$work/gen" -cf - "rel-$i" | gzip -1 -n >"$work/srv/a$i.tar.gz"
	rm -rf "$d"
done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work/srv" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 50); do
	curl -fsS -o /dev/null "$base/a1.tar.gz" 2>/dev/null && break
	sleep 0.1
done

# extras.json and a sha256sum list for the same archives.
{
	echo "{"
	for i in $(seq 1 "$N"); do
		sum=$(sha256sum "$work/srv/a$i.tar.gz" | cut -d' ' -f1)
		sep=","
		[[ $i == "$N" ]] && sep=""
		printf '  "a%d": {\n    "urls": [\n      "%s/a%d.tar.gz"\n    ],\n    "sha256": "%s",\n    "strip_prefix": "rel-%d"\n  }%s\n' \
			"$i" "$base" "$i" "$sum" "$i" "$sep"
		echo "$sum  a$i.tar.gz" >"$work/dl/a$i.tar.gz.sha256"
	done
	echo "}"
} >"$work/ws/skus/extras.json"
total_mib=$(du -m -c "$work"/srv/*.tar.gz | tail -1 | cut -f1)

(cd "$root" && go build -o "$work/update_extras" ./tools/update_extras)

# timeit NAME CMD...: runs CMD, records the wall time of NAME.
declare -a names secs
timeit() {
	local name=$1
	shift
	local start end
	start=$(date +%s.%N)
	"$@" >/dev/null
	end=$(date +%s.%N)
	names+=("$name")
	secs+=("$(echo "$end - $start" | bc -l)")
}

curl_pipe() { # download and hash in one pass, no file
	local i=$1 want got
	want=$(cut -d' ' -f1 "$work/dl/a$i.tar.gz.sha256")
	got=$(curl -fsS "$base/a$i.tar.gz" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || { echo "a$i: hash mismatch" >&2; return 1; }
}
curl_file() { # what check does: keep the file, verify the hash, list the archive
	local i=$1
	curl -fsS -o "$work/dl/a$i.tar.gz" "$base/a$i.tar.gz"
	(cd "$work/dl" && sha256sum -c --quiet "a$i.tar.gz.sha256")
	tar -tzf "$work/dl/a$i.tar.gz" >/dev/null
	rm -f "$work/dl/a$i.tar.gz"
}
curl_openssl() { # as curl_pipe, with OpenSSL's SHA-256 (which uses the CPU's SHA extensions)
	local i=$1 want got
	want=$(cut -d' ' -f1 "$work/dl/a$i.tar.gz.sha256")
	got=$(curl -fsS "$base/a$i.tar.gz" | openssl dgst -sha256 -r | cut -d' ' -f1)
	[[ $got == "$want" ]] || { echo "a$i: hash mismatch" >&2; return 1; }
}
export -f curl_pipe curl_file curl_openssl
export work base

seq_curl() { for i in $(seq 1 "$N"); do curl_pipe "$i"; done; }
par_curl() { seq 1 "$N" | xargs -P "$JOBS" -I{} bash -c 'curl_pipe {}'; }
par_curl_openssl() { seq 1 "$N" | xargs -P "$JOBS" -I{} bash -c 'curl_openssl {}'; }
par_curl_file() { seq 1 "$N" | xargs -P "$JOBS" -I{} bash -c 'curl_file {}'; }
tool() { "$work/update_extras" check -allow-insecure -jobs "$JOBS" -file "$work/ws/skus/extras.json" 2>/dev/null; }
gorun() { (cd "$root" && go run ./tools/update_extras check -allow-insecure -jobs "$JOBS" -file "$work/ws/skus/extras.json" 2>/dev/null); }

hash_local() { sha256sum "$work"/srv/*.tar.gz; }
gorun >/dev/null # warm the build cache and the page cache once, untimed
timeit "sha256sum over the files on disk (no network)" hash_local
timeit "curl \| sha256sum, one at a time" seq_curl
timeit "curl \| sha256sum, $JOBS in parallel" par_curl
if command -v openssl >/dev/null; then
	timeit "curl \| openssl dgst -sha256, $JOBS in parallel" par_curl_openssl
fi
timeit "curl -o + sha256sum -c + tar -tzf, $JOBS in parallel" par_curl_file
timeit "update_extras check -jobs $JOBS (built binary)" tool
timeit "go run ./tools/update_extras check -jobs $JOBS" gorun

echo
echo "$N tar.gz archives, $total_mib MiB in all, served by python3 -m http.server on 127.0.0.1;"
echo "$(nproc) CPUs, $(go version | cut -d' ' -f3), $(uname -sm)."
echo "update_extras check downloads each archive to a temporary file while hashing it,"
echo "then decompresses and reads every member (the archive check). Its SHA-256 is"
echo "Go's crypto/sha256, which uses the CPU's SHA extensions where present; compare the"
echo "first row (sha256sum alone) to see how much of curl + sha256sum is hashing."
echo
echo "| method | seconds | MiB/s |"
echo "| --- | ---: | ---: |"
for k in "${!names[@]}"; do
	printf '| %s | %.2f | %.0f |\n' "${names[$k]}" "${secs[$k]}" "$(echo "$total_mib / ${secs[$k]}" | bc -l)"
done
