#!/usr/bin/env bash
# Runs every gridmesh test: unit tests, and (as root) the network-namespace integration tests.
# Installs the Debian packages the tests need first. Usage: sudo ./scripts/test.sh [extra mvn args]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GM_ROOT"
gm_install_packages
gm_java_home
profile=()
if [ "$(id -u)" -eq 0 ]; then
  profile=(-Pit)
else
  echo "== not root: network-namespace tests will be skipped (run as root to include them)"
fi
echo "== JDK: $JAVA_HOME"
exec mvn -B -ntp "${profile[@]}" install "$@"
