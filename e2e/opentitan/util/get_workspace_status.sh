#!/bin/sh
# As OpenTitan's util/get_workspace_status.sh (--workspace_status_command in
# .bazelrc): it runs git on every build. Copies of the stand-in are no git
# checkouts, and the offline rig's chroot has no git, so it says "unknown"
# then, as OpenTitan's falls back when git fails.
rev=$(git rev-parse HEAD 2>/dev/null) || rev=unknown
echo "BUILD_SCM_REVISION $rev"
echo "STABLE_GIT_REVISION $rev"
