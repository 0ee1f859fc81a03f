# shellcheck shell=bash
# Shared settings for scripts/setup, scripts/run, scripts/test and scripts/demo.
# Sourced, never executed. Decides where the project's Python 3.14 + NUT environment lives:
#   host mode   - this machine already has Python 3.14 (>= 3.14.2) and NUT's upsd/dummy-ups: a venv in .venv/
#   rootfs mode - otherwise (Debian/Ubuntu, root): a Debian testing rootfs cached outside the repo.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${NUT_UPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nut_ups}"
ROOTFS="${NUT_UPS_ROOTFS:-$CACHE_DIR/rootfs-testing}"
# Pins: what the code needs from the distribution, installed by name so that a Debian testing
# whose default python3 moved past 3.14 still provides it (or setup says in one line why not).
PYTHON_SERIES=3.14  # the python3.14 package and /usr/bin/python3.14
PYTHON_MIN=3.14.2   # Home Assistant 2026.3+ and pyproject.toml's requires-python
NUT_MIN=2.8.0       # the tests expect upsd 2.8.x speaking protocol 1.3 (tests/nut/test_live.py)
NUT_BELOW=2.9.0
ROOTFS_PACKAGES="python$PYTHON_SERIES,python$PYTHON_SERIES-venv,python$PYTHON_SERIES-dev,g++,nut-server,nut-client,libnss3-tools,ca-certificates,curl,git,procps,iproute2"
# Written when a rootfs build finished. Whether a rootfs is still good is decided by what it holds
# (rootfs_pins: every package above, Python and NUT within the pins), not by this label, so a
# change of the list rebuilds only a rootfs that lacks something.
ROOTFS_STAMP="debootstrap-testing-v2"

log() { printf '[nut_ups] %s\n' "$*" >&2; }

# Version checks on plain numbers: an epoch ("1:") and a Debian revision ("-1", "~rc1", "+b1")
# are dropped first, so they work on dpkg's versions and on `upsd -V` alike.
version_core() { local v=${1#*:}; printf '%s\n' "${v%%[-~+]*}"; }
version_ge() {  # $1 >= $2
  local a b; a=$(version_core "$1"); b=$(version_core "$2")
  [ "$(printf '%s\n%s\n' "$a" "$b" | sort -V | head -n1)" = "$b" ]
}
# python_misses_pin / nut_misses_pin VERSION: true, printing why, when VERSION misses the pin.
python_misses_pin() {
  local v; v=$(version_core "$1")
  case "$v" in "$PYTHON_SERIES".*) version_ge "$v" "$PYTHON_MIN" && return 1 ;; esac
  echo "Python ${v:-(none)} misses the pin: Python $PYTHON_SERIES.x >= $PYTHON_MIN (Home Assistant 2026.3+)"
}
nut_misses_pin() {
  local v; v=$(version_core "$1")
  if [ -n "$v" ] && version_ge "$v" "$NUT_MIN" && ! version_ge "$v" "$NUT_BELOW"; then return 1; fi
  echo "NUT ${v:-(none)} misses the pin: NUT >= $NUT_MIN and < $NUT_BELOW (the tests expect upsd 2.8, protocol 1.3)"
}

# Prints the installed version of each named Debian package of the system rooted at $1 ("name
# version" lines, from dpkg's status file: no chroot needed, a few milliseconds).
installed_versions() {
  local root=$1; shift
  awk -v want=" $* " '
    /^Package: / { pkg = $2 } /^Version: / { ver = $2 } /^Status: / { ok = ($4 == "installed") }
    /^$/ { if (ok && index(want, " " pkg " ")) print pkg, ver; pkg = ver = ""; ok = 0 }
    END { if (ok && index(want, " " pkg " ")) print pkg, ver }
  ' "$root/var/lib/dpkg/status" 2>/dev/null
}

# Checks that the Debian system rooted at $1 meets the pins; prints one line saying why not.
rootfs_pins() {
  local root=$1 versions pkg version why
  # shellcheck disable=SC2086
  versions=$(installed_versions "$root" ${ROOTFS_PACKAGES//,/ })
  for pkg in ${ROOTFS_PACKAGES//,/ }; do
    grep -q "^$pkg " <<<"$versions" || { echo "package $pkg is not installed"; return 1; }
  done
  [ -x "$root/usr/bin/python$PYTHON_SERIES" ] || { echo "no /usr/bin/python$PYTHON_SERIES"; return 1; }
  version=$(awk -v p="python$PYTHON_SERIES" '$1 == p { print $2 }' <<<"$versions")
  if why=$(python_misses_pin "$version"); then echo "package python$PYTHON_SERIES $version: $why"; return 1; fi
  version=$(awk '$1 == "nut-server" { print $2 }' <<<"$versions")
  if why=$(nut_misses_pin "$version"); then echo "package nut-server $version: $why"; return 1; fi
  return 0
}

host_python() {
  # Prints a host interpreter of the pinned series (3.14.x, >= 3.14.2), if any.
  local cand
  for cand in "${NUT_UPS_PYTHON:-}" "python$PYTHON_SERIES" python3; do
    [ -n "$cand" ] || continue
    command -v "$cand" >/dev/null 2>&1 || continue
    if ! python_misses_pin "$("$cand" -c 'import platform; print(platform.python_version())' 2>/dev/null)" >/dev/null; then
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
