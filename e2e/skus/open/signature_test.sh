#!/usr/bin/env bash
# The signature test of an artifact package: every digest of the published
# pre-signing archive has, for each signature suffix, a signature file
# <digest base><suffix> holding "<prefix>:<SHA-256 hex of the digest
# file>", optionally ":<nonce>" (a signing's randomness: two valid
# signatures of one digest may differ), and a newline (prefix: the suffix
# without "." and "_sig"), and no signature file is stray.
#
# usage: signature_test.sh --digests DIGEST... --signatures FILE...
# (runfiles paths, as $(rlocationpaths ...) gives them; of the --signatures
# files, those whose names end in _sig are the signatures)
set -euo pipefail

runfiles=${TEST_SRCDIR:-${RUNFILES_DIR:-$0.runfiles}}
suffixes=(.ecdsa_sig .spx_sig)
digests=()
signatures=()
list=
for a in "$@"; do
  case $a in
    --digests) list=digests ;;
    --signatures) list=signatures ;;
    "") ;;
    *)
      case $list in
        digests) digests+=("$runfiles/$a") ;;
        signatures) signatures+=("$runfiles/$a") ;;
        *) echo "usage: $0 --digests DIGEST... --signatures FILE..." >&2; exit 2 ;;
      esac ;;
  esac
done

if [ ${#digests[@]} -eq 0 ]; then
  echo "FAIL: the pre-signing archive holds no .digest file"
  exit 1
fi

declare -A want=() have=()
for d in "${digests[@]}"; do
  base=$(basename "$d" .digest)
  sum=$(sha256sum < "$d" | cut -d' ' -f1)
  for s in "${suffixes[@]}"; do
    prefix=${s#.}
    want[$base$s]="${prefix%_sig}:$sum"
  done
done

status=0
for f in ${signatures[@]+"${signatures[@]}"}; do
  name=$(basename "$f")
  case $name in *_sig) ;; *) continue ;; esac
  have[$name]=$f
  if [ -z "${want[$name]+set}" ]; then
    echo "FAIL: $name: stray: no digest of the pre-signing archive has this name"
    status=1
  fi
done
for name in $(printf '%s\n' "${!want[@]}" | sort); do
  if [ -z "${have[$name]+set}" ]; then
    echo "FAIL: $name: missing"
    status=1
  elif ! { [ "$(wc -l < "${have[$name]}")" -eq 1 ] && grep -Eqx "${want[$name]}(:[0-9A-Za-z]+)?" "${have[$name]}"; }; then
    echo "FAIL: $name: wrong signature: holds '$(head -c 200 "${have[$name]}")', want '${want[$name]}'"
    status=1
  else
    echo "ok: $name"
  fi
done
exit $status
