# shellcheck shell=bash
# Shared settings for scripts/setup, scripts/run, scripts/test and scripts/demo.
# Sourced, never executed. Decides where the project's Python 3.14 + NUT environment lives:
#   host mode   - this machine already has Python >= 3.14.2 and NUT's upsd/dummy-ups: a venv in .venv/
#   rootfs mode - otherwise (Debian/Ubuntu, root): a Debian testing rootfs cached outside the repo.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${NUT_UPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nut_ups}"
ROOTFS="${NUT_UPS_ROOTFS:-$CACHE_DIR/rootfs-testing}"
# The stamp names what a finished rootfs build holds; change it to force a rebuild.
ROOTFS_STAMP="debootstrap-testing-v1"
ROOTFS_PACKAGES="python3,python3-venv,python3-dev,g++,nut-server,nut-client,libnss3-tools,ca-certificates,curl,git,procps,iproute2"

log() { printf '[nut_ups] %s\n' "$*" >&2; }

host_python() {
  # Prints a host interpreter >= 3.14.2, if any.
  local cand
  for cand in "${NUT_UPS_PYTHON:-}" python3.14 python3; do
    [ -n "$cand" ] || continue
    command -v "$cand" >/dev/null 2>&1 || continue
    if "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)' 2>/dev/null; then
      command -v "$cand"; return 0
    fi
  done
  return 1
}

host_has_nut() {
  { command -v upsd >/dev/null 2>&1 || [ -x /usr/sbin/upsd ] || [ -x /lib/nut/upsd ]; } &&
    { [ -x /usr/libexec/nut/dummy-ups ] || [ -x /lib/nut/dummy-ups ] || command -v dummy-ups >/dev/null 2>&1; }
}

env_mode() {
  if [ -n "${NUT_UPS_MODE:-}" ]; then echo "$NUT_UPS_MODE"; return; fi
  if [ -f /.nut_ups_rootfs ]; then echo inside; return; fi
  if host_python >/dev/null && host_has_nut; then echo host; else echo rootfs; fi
}
