#!/usr/bin/env bash
# `make test-newer-qgis`: the QGIS tests and `make demo` on newer Debian releases, each in a
# throw-away root made with debootstrap (Debian 13 "trixie" ships QGIS 3.40, unstable "sid"
# the newest packaged QGIS). Inside each root the checkout is set up exactly as `make setup`
# does it on that Debian, so this is also the test that `make setup` works there.
#
# Usage: bash devtools/newer_qgis.sh [SUITE ...]        (default: trixie sid)
# Environment:
#   ROOTS=/var/tmp/aerial-segmentation-roots   where the roots are cached (outside the checkout)
#   MIRROR=http://...                          Debian archive (default: the one apt here uses)
#   PYTEST_ARGS="tests/ui tests/plugin"        what pytest runs inside (default: everything)
#   REFRESH=1                                  apt-get upgrade a cached root before the run
# Needs root (debootstrap, chroot, mounts in a private mount namespace) and debootstrap.
# A root takes about 3.5 GB; `rm -rf $ROOTS` removes them all. Results: $ROOTS/results.md,
# logs: $ROOTS/SUITE.log, each QGIS' enum table dump: $ROOTS/qgis-enums-VERSION.json
# (input of `python -m devtools.qgis_enum_table merge`).
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOUT=$PWD

ROOTS=${ROOTS:-/var/tmp/aerial-segmentation-roots}
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(trixie sid)
BASE_PACKAGES=ca-certificates,make,python3
INSIDE=/build/aerial_segmentation

die() { echo "newer-qgis: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap and chroot)"
command -v debootstrap >/dev/null || die "needs debootstrap: apt-get install debootstrap"

# The Debian archive apt already uses here (first non-security Debian URI), unless given.
host_mirror() {
    local uri
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; break } }' |
        grep -E '/debian/?$' | head -n 1 || true)
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
            awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }' |
            grep -E '/debian/?$' | head -n 1 || true)
    fi
    echo "${uri%/}"
}
MIRROR=${MIRROR:-$(host_mirror)}
[ -n "$MIRROR" ] || die "no Debian archive found in /etc/apt; set MIRROR=http://deb.debian.org/debian"

write_apt_sources() {  # root suite
    local root=$1 suite=$2
    {
        echo "deb $MIRROR $suite main"
        if [ "$suite" != sid ] && [ "$suite" != unstable ]; then
            echo "deb $MIRROR $suite-updates main"
            echo "deb ${MIRROR%/debian}/debian-security $suite-security main"
        fi
    } >"$root/etc/apt/sources.list"
}

make_root() {  # suite -> $ROOTS/suite, a minimal Debian with make and python3
    local suite=$1 root=$ROOTS/$1
    [ -f "$root/.base-ready" ] && return 0
    local partial=$root.partial
    rm -rf "$partial" "$root"
    mkdir -p "$ROOTS"
    echo "newer-qgis: debootstrap $suite from $MIRROR into $root (a few minutes)"
    # shellcheck disable=SC2064
    trap "rm -rf '$partial'" EXIT
    debootstrap --variant=minbase --include="$BASE_PACKAGES" "$suite" "$partial" "$MIRROR" \
        >"$ROOTS/$suite-debootstrap.log" 2>&1 ||
        die "debootstrap $suite failed; see $ROOTS/$suite-debootstrap.log"
    write_apt_sources "$partial" "$suite"
    # The archive may be a dated snapshot whose Release files have expired (sid's expire
    # within days): the root is thrown away, so accept them.
    echo 'Acquire::Check-Valid-Until "false";' >"$partial/etc/apt/apt.conf.d/99snapshot-archive"
    touch "$partial/.base-ready"
    mv "$partial" "$root"
    trap - EXIT
}

# The checkout as git sees it (tracked plus untracked, not ignored files), .venv kept.
copy_checkout() {  # root
    local dest=$1$INSIDE
    mkdir -p "$dest"
    find "$dest" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
    git -C "$CHECKOUT" ls-files -z --cached --others --exclude-standard |
        tar -C "$CHECKOUT" --null -T - -cf - | tar -C "$dest" -xf -
}

# Trust what the host trusts (a local CA for a TLS-inspecting proxy, say) and resolve the same.
share_host_network_setup() {  # root
    local root=$1
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        mkdir -p "$root/usr/local/share/ca-certificates"
        cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    fi
}

# Runs "$@" inside root with /proc, /sys, /dev and a fresh /tmp; the mounts live in a private
# mount namespace, so they vanish with it, whatever happens.
in_root() {  # root command...
    local root=$1
    shift
    # shellcheck disable=SC2016  # expanded by the inner shell, from its arguments
    unshare --mount --propagation private -- bash -c '
        root=$1; shift
        mount -t proc proc "$root/proc"
        mount -t sysfs sys "$root/sys"
        mount --rbind /dev "$root/dev"
        mount -t tmpfs tmpfs "$root/tmp"
        exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            DEBIAN_FRONTEND=noninteractive PIP_CERT=/etc/ssl/certs/ca-certificates.crt "$@"
    ' in_root "$root" "$@"
}

run_suite() {  # suite
    local suite=$1 root=$ROOTS/$1 log=$ROOTS/$1.log
    make_root "$suite"
    share_host_network_setup "$root"
    copy_checkout "$root"
    echo "newer-qgis: $suite: make setup, pytest, make demo (log: $log)"
    in_root "$root" bash "$INSIDE/devtools/newer_qgis_inside.sh" "${REFRESH:-0}" \
        "${PYTEST_ARGS:-}" 2>&1 | tee "$log" | grep --line-buffered -E '^(newer-qgis|setup):' || true
    cp "$root$INSIDE"/../qgis-enums-*.json "$ROOTS/" 2>/dev/null || true
    local summary
    summary=$(sed -n 's/^newer-qgis-result: //p' "$log")
    [ -n "$summary" ] || summary="| $suite | run did not finish, see $log | | | | |"
    echo "$summary" >>"$RESULTS"
}

RESULTS=$ROOTS/results.md
mkdir -p "$ROOTS"
{
    echo "| Debian | QGIS | Python | GDAL / numpy / torch | pytest | make demo |"
    echo "|---|---|---|---|---|---|"
} >"$RESULTS"
for suite in "${SUITES[@]}"; do
    run_suite "$suite"
done
echo
cat "$RESULTS"
! grep -q -E 'failed|error|did not finish' "$RESULTS"
