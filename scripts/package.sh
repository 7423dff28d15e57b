#!/usr/bin/env bash
# Builds a self-contained gridmesh distribution and a Debian package:
#   dist/gridmesh-VERSION/               bin/gridmesh (launcher), lib/*.jar, runtime/ (jlink JDK 25 subset),
#                                        systemd/*.service, etc/{agent,relay}.toml (all commented), docs/
#   dist/gridmesh_VERSION_amd64.deb      /opt/gridmesh/..., /usr/bin/gridmesh -> /opt/gridmesh/bin/gridmesh,
#                                        /lib/systemd/system/*.service, /etc/gridmesh/*.toml (conffiles)
# The postinst creates the gridmesh system user and group and /etc/gridmesh; it starts no service.
# Usage: scripts/package.sh [--no-build]   (--no-build: use the current cli/target/dist/lib; GM_DIST_DIR=DIR
# writes there instead of dist/)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$GM_ROOT"
gm_java_home

build=1
[ "${1:-}" = "--no-build" ] && build=0
if [ "$build" -eq 1 ]; then
  echo "== building (mvn -pl cli -am install -DskipTests)"
  mvn -B -q -o -pl cli -am install -DskipTests || mvn -B -q -pl cli -am install -DskipTests
fi
lib="$GM_ROOT/cli/target/dist/lib"
[ -f "$lib/gridmesh-cli-0.1.0-SNAPSHOT.jar" ] || gm_die "no $lib: build first (scripts/package.sh without --no-build)"

version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1)
debversion=${version/-SNAPSHOT/\~snapshot}
if git -C "$GM_ROOT" rev-parse --short HEAD >/dev/null 2>&1; then debversion="$debversion+git$(git rev-parse --short HEAD)"; fi
out="${GM_DIST_DIR:-$GM_ROOT/dist}"
name="gridmesh-$version"
tree="$out/$name"
rm -rf "$tree" "$out/deb"
mkdir -p "$tree/bin" "$tree/lib" "$tree/systemd" "$tree/etc" "$tree/docs"

# Modules: `jdeps --ignore-missing-deps --print-module-deps --multi-release 25 --class-path 'lib/*' lib/*.jar`
# (Netty: jdk.unsupported; H2: java.sql, java.naming, java.management; Prometheus: jdk.httpserver; TLS: EC)
# plus jdk.crypto.ec, java.xml (Logback's config), jdk.zipfs.
modules=java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http
modules=$modules,java.scripting,java.sql,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.jfr,jdk.net,jdk.unsupported,jdk.zipfs
echo "== jlink runtime ($JAVA_HOME)"
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --compress=zip-6 --output "$tree/runtime"

cp "$lib"/*.jar "$tree/lib/"
cp gridmesh "$tree/bin/gridmesh"
chmod 0755 "$tree/bin/gridmesh"
cp systemd/*.service "$tree/systemd/"
cp docs/*.md "$tree/docs/"
# default configs: the commented examples with every setting commented out (an unconfigured agent refuses to
# start with one line naming the missing --server, and the unit does not restart it: exit 2)
for f in agent relay; do
  sed -E 's/^([a-z_]+ = )/# \1/' "docs/examples/$f.toml" > "$tree/etc/$f.toml"
done

echo "== .deb"
root="$out/deb/root"
mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/gridmesh"
cp -a "$tree" "$root/opt/gridmesh"
rm -rf "$root/opt/gridmesh/etc"
ln -s /opt/gridmesh/bin/gridmesh "$root/usr/bin/gridmesh"
cp systemd/*.service "$root/lib/systemd/system/"
cp "$tree/etc/agent.toml" "$tree/etc/relay.toml" "$root/etc/gridmesh/"
installed_kb=$(du -sk "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: gridmesh
Version: $debversion
Architecture: amd64
Maintainer: gridmesh maintainers <gridmesh@localhost>
Installed-Size: $installed_kb
Depends: iproute2, adduser
Section: net
Priority: optional
Homepage: https://gridmesh.dev
Description: peer-to-peer mesh VPN agent and relay
 gridmesh joins machines into a WireGuard mesh through a relay, with direct
 paths through NATs when possible. Ships its own Java runtime in /opt/gridmesh.
CONTROL
printf '/etc/gridmesh/agent.toml\n/etc/gridmesh/relay.toml\n' > "$root/DEBIAN/conffiles"
cat > "$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
# gridmesh postinst: the system user and group, config dir permissions. Starts no service.
set -e
if [ "$1" = configure ]; then
  if ! getent group gridmesh >/dev/null; then
    addgroup --system gridmesh >/dev/null
  fi
  if ! getent passwd gridmesh >/dev/null; then
    adduser --system --ingroup gridmesh --home /var/lib/gridmesh --no-create-home \
      --gecos "gridmesh daemon" --shell /usr/sbin/nologin gridmesh >/dev/null
  fi
  chown root:gridmesh /etc/gridmesh /etc/gridmesh/agent.toml /etc/gridmesh/relay.toml
  chmod 0750 /etc/gridmesh
  chmod 0640 /etc/gridmesh/agent.toml /etc/gridmesh/relay.toml
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || true
  fi
fi
exit 0
POSTINST
cat > "$root/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl stop gridmesh-agent.service gridmesh-relay.service >/dev/null 2>&1 || true
fi
exit 0
PRERM
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"
deb="$out/gridmesh_${debversion}_amd64.deb"
rm -f "$out"/gridmesh_*_amd64.deb
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
rm -rf "$out/deb"
echo "== $tree"
echo "== $deb ($(du -h "$deb" | cut -f1))"
