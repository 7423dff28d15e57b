# Shared helpers for gridmesh's scripts (sourced, not run).
GM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages that the demo and the tests use.
GM_PACKAGES="maven systemd iproute2 iputils-ping curl iptables nftables conntrack wireguard-go wireguard-tools iperf3 openssh-server openssh-client socat coturn miniupnpd etcd-server nebula netcat-openbsd procps psmisc kmod"

gm_die() { echo "gridmesh: $*" >&2; exit 1; }

# Installs the Debian packages above that are missing (needs root; apt-get update once).
gm_install_packages() {
  local missing=() p
  for p in $GM_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    gm_die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
  fi
  echo "== installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || gm_die "apt-get install ${missing[*]} failed"
}

# Exports JAVA_HOME for a JDK 25, found the same way the launcher finds it.
gm_java_home() {
  local h
  h=$("$GM_ROOT/gridmesh" --launcher-java-home) || exit 1
  export JAVA_HOME="$h"
}
