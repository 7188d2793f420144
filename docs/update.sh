#!/usr/bin/env bash
# bazel run //docs:update: copies the API reference that Stardoc generated
# from the docstrings of //:extension.bzl and //:hook.bzl into docs/.
# Arguments: pairs of GENERATED_FILE WORKSPACE_RELATIVE_DESTINATION.
set -euo pipefail
if [ -z "${BUILD_WORKSPACE_DIRECTORY:-}" ]; then
  echo "update.sh: run it with: bazel run //docs:update" >&2
  exit 2
fi
while [ $# -ge 2 ]; do
  src=$1 dst=$2
  shift 2
  if cmp -s "$src" "$BUILD_WORKSPACE_DIRECTORY/$dst"; then
    echo "up to date: $dst"
  else
    cp "$src" "$BUILD_WORKSPACE_DIRECTORY/$dst"
    chmod 0644 "$BUILD_WORKSPACE_DIRECTORY/$dst"
    echo "wrote $dst"
  fi
done
