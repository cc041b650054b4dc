#!/usr/bin/env bash
# Builds the KDC, demo and client images and runs the client's end-to-end
# checks against the demo (see docker/README.md).
#
#   docker/test.sh [test]   build, run the checks, tear down; exit with the
#                           client's exit code (make docker-test)
#   docker/test.sh demo     the same, but on a terminal it leaves you in a shell
#                           in the client container, with alice's ticket; the
#                           stack is torn down when you leave (make docker-demo)
#
# Works on a machine with no Docker images and no registry: as root it installs
# what is missing (docker.io, docker-compose, debootstrap), starts a dockerd of
# its own if none answers (and stops that one, by its PID, on exit), and makes
# debian:bookworm-slim and golang:1.26-bookworm from debootstrap and the host's
# Go toolchain when they are missing.
#
# Environment: ALICE_PASSWORD, DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR,
# NEGOTIATE_DOCKER_CACHE (default /var/cache/negotiate-docker), DOCKERD_FLAGS.
set -euo pipefail

mode=${1:-test}
case $mode in
test | demo) ;;
-h | --help)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
*)
    echo "usage: $0 [test|demo]" >&2
    exit 2
    ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${NEGOTIATE_DOCKER_CACHE:-/var/cache/negotiate-docker}
project=negotiate-docker
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
debian_image=debian:bookworm-slim
golang_image=golang:1.26-bookworm
go_series=go1.26
standin_label=org.negotiate-go.standin

start=$SECONDS
say() { printf '==> [%3ds] %s\n' $((SECONDS - start)) "$*" >&2; }
die() {
    printf 'docker/test.sh: %s\n' "$*" >&2
    exit 1
}
is_root() { [ "$(id -u)" = 0 ]; }

workdir=$(mktemp -d "${TMPDIR:-/tmp}/negotiate-docker.XXXXXX")
dockerd_pid=
compose_cmd=()
stack_up=false

compose() { "${compose_cmd[@]}" -p "$project" -f "$here/compose.yaml" "$@"; }

stop_dockerd() {
    say "stopping the dockerd this script started (pid $dockerd_pid)"
    kill -TERM "$dockerd_pid" 2>/dev/null || return 0

    for _ in $(seq 1 120); do
        kill -0 "$dockerd_pid" 2>/dev/null || break
        sleep 0.25
    done
    if kill -0 "$dockerd_pid" 2>/dev/null; then
        echo "dockerd (pid $dockerd_pid) ignored SIGTERM for 30 s; killing it" >&2
        kill -KILL "$dockerd_pid" 2>/dev/null || true
    fi
    wait "$dockerd_pid" 2>/dev/null || true
    dockerd_pid=
}

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if $stack_up; then
        compose down -v --remove-orphans >/dev/null 2>&1
    fi
    [ -n "$dockerd_pid" ] && stop_dockerd
    rm -rf "$workdir"
    say "finished with exit code $rc"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- 1. packages
have_compose() {
    docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null
}

install_missing() {
    local pkgs=()
    if ! command -v docker >/dev/null || ! command -v dockerd >/dev/null; then
        pkgs+=(docker.io)
    fi
    have_compose || pkgs+=(docker-compose)
    command -v debootstrap >/dev/null || pkgs+=(debootstrap)
    [ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || pkgs+=(debian-archive-keyring)
    [ ${#pkgs[@]} = 0 ] && return 0
    if ! is_root; then
        # Not fatal yet: a running daemon and existing images need none of them.
        echo "docker/test.sh: not root, so not installing: ${pkgs[*]}" >&2
        return 0
    fi
    say "installing ${pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
}

# ------------------------------------------------------------------ 2. daemon
# Starts dockerd in its own session (so a Ctrl-C reaches only this script,
# which then tears down in order) and waits until it answers.
try_dockerd() {
    local log=$workdir/dockerd.log
    # shellcheck disable=SC2086 # DOCKERD_FLAGS is a list of flags
    setsid dockerd ${DOCKERD_FLAGS:-} "$@" >"$log" 2>&1 </dev/null &
    dockerd_pid=$!
    for _ in $(seq 1 240); do
        docker info >/dev/null 2>&1 && return 0
        kill -0 "$dockerd_pid" 2>/dev/null || break
        sleep 0.25
    done
    echo "dockerd${*:+ $*} did not come up; the end of its log:" >&2
    tail -n 15 "$log" >&2
    if kill -0 "$dockerd_pid" 2>/dev/null; then stop_dockerd; fi
    wait "$dockerd_pid" 2>/dev/null || true
    dockerd_pid=
    return 1
}

ensure_daemon() {
    command -v docker >/dev/null || die "no docker client; run as root to install docker.io"
    if docker info >/dev/null 2>&1; then
        say "using the running Docker daemon"
        return
    fi
    is_root || die "no Docker daemon answers, and only root may start one"
    command -v dockerd >/dev/null || die "no dockerd; install docker.io"
    say "no Docker daemon answers: starting dockerd (log in $workdir/dockerd.log)"
    if try_dockerd; then
        :
    elif grep -qiE 'storage|graphdriver|overlay' "$workdir/dockerd.log"; then
        say "retrying with --storage-driver=vfs"
        try_dockerd --storage-driver=vfs || die "dockerd would not start"
    else
        die "dockerd would not start"
    fi
    say "dockerd is up (pid $dockerd_pid, storage driver $(docker info -f '{{.Driver}}'))"
}

# ------------------------------------------------------------- 3. base images
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Makes the rootfs of Debian's slim image, once: minbase, plus the official
# image's dpkg excludes and apt settings, and its three apt sources.
ensure_rootfs() {
    rootfs=$cache/$suite-rootfs
    [ -e "$rootfs/.complete" ] && return
    command -v debootstrap >/dev/null || die "debootstrap is needed to make $debian_image; run as root to install it"
    is_root || die "making $debian_image with debootstrap needs root"
    local tmp=$cache/$suite-rootfs.tmp
    mkdir -p "$cache"
    unmount_under "$tmp"
    rm -rf "$tmp" "$rootfs"
    say "debootstrap --variant=minbase $suite (cached in $rootfs)"
    if ! debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$workdir/debootstrap.log" 2>&1; then
        tail -n 20 "$workdir/debootstrap.log" >&2
        unmount_under "$tmp"
        die "debootstrap failed"
    fi
    unmount_under "$tmp"
    slim_rootfs "$tmp"
    touch "$tmp/.complete"
    mv "$tmp" "$rootfs"
}

# debootstrap mounts /proc and /sys in its target; never rm -rf across them.
unmount_under() {
    local m
    [ -d "$1" ] || return 0
    awk -v p="$(realpath "$1")" '$2 == p || index($2, p "/") == 1 { print $2 }' /proc/mounts |
        sort -r | while read -r m; do umount -l "$m" || true; done
}

slim_rootfs() {
    local r=$1
    mkdir -p "$r/etc/dpkg/dpkg.cfg.d" "$r/etc/apt/apt.conf.d" "$r/etc/apt/sources.list.d"
    cat >"$r/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
    cat >"$r/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'Acquire::Languages "none";' >"$r/etc/apt/apt.conf.d/docker-no-languages"
    echo 'Acquire::GzipIndexes "true";' >"$r/etc/apt/apt.conf.d/docker-gzip-indexes"
    echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
    rm -f "$r/etc/apt/sources.list"
    cat >"$r/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    find "$r/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
    find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    rm -rf "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/lintian "$r"/usr/share/linda
    rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb
    rm -f "$r"/var/log/*.log "$r"/var/log/apt/* "$r/etc/hostname"
    : >"$r/etc/resolv.conf"
}

ensure_debian_image() {
    if image_exists "$debian_image"; then
        say "$debian_image is there"
        return
    fi
    ensure_rootfs
    say "importing $debian_image from the debootstrap rootfs"
    tar --numeric-owner -C "$rootfs" --exclude=./.complete -c . |
        docker import \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change "LABEL $standin_label=debootstrap" \
            --change 'CMD ["bash"]' \
            - "$debian_image" >/dev/null
}

# The golang image: the same rootfs plus the host's Go toolchain at
# /usr/local/go. A stand-in made from another Go version is made again.
ensure_golang_image() {
    local host_go=
    command -v go >/dev/null && host_go=$(go env GOVERSION)
    if image_exists "$golang_image"; then
        local made_from
        made_from=$(docker image inspect -f "{{index .Config.Labels \"$standin_label.go\"}}" "$golang_image")
        if [ -z "$made_from" ] || [ -z "$host_go" ] || [ "$made_from" = "$host_go" ]; then
            say "$golang_image is there"
            return
        fi
        say "$golang_image was made from $made_from; the host has $host_go: making it again"
    fi
    [ -n "$host_go" ] || die "$golang_image is missing and there is no host Go toolchain to make it from"
    case $host_go in
    "$go_series" | "$go_series".*) ;;
    *) die "$golang_image is missing and the host's Go is $host_go, not $go_series" ;;
    esac
    ensure_rootfs
    local goroot goflags goproxy stage=$cache/golang-rootfs.tmp
    goroot=$(go env GOROOT)
    goflags=$(go env GOFLAGS)
    goproxy=$(go env GOPROXY)
    say "importing $golang_image: the rootfs plus $host_go from $goroot"
    rm -rf "$stage"
    # Hard links: the stage only adds files, so the cached rootfs is safe.
    cp -al "$rootfs" "$stage" 2>/dev/null || { rm -rf "$stage"; cp -a "$rootfs" "$stage"; }
    rm -f "$stage/.complete"
    mkdir -p "$stage/usr/local/go" "$stage/go/bin" "$stage/go/src"
    chmod -R 1777 "$stage/go"
    # Everything but GOROOT/test, Go's own test suite.
    tar -C "$goroot" --exclude=./test -c . | tar -C "$stage/usr/local/go" -x --no-same-owner
    # The real image has ca-certificates; the stand-in trusts what the host
    # trusts, so that `go mod download` in a build reaches GOPROXY as the
    # host does. (rm first: the stage's files are hard links to the cache.)
    if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
        mkdir -p "$stage/etc/ssl/certs"
        rm -f "$stage/etc/ssl/certs/ca-certificates.crt"
        cp /etc/ssl/certs/ca-certificates.crt "$stage/etc/ssl/certs/ca-certificates.crt"
    fi
    local changes=(
        --change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
        --change 'ENV GOPATH=/go'
        --change 'ENV GOTOOLCHAIN=local'
        --change "ENV GOPROXY=\"$goproxy\""
        --change "LABEL $standin_label=debootstrap $standin_label.go=$host_go"
        --change 'WORKDIR /go'
        --change 'CMD ["bash"]'
    )
    [ -n "$goflags" ] && changes+=(--change "ENV GOFLAGS=\"$goflags\"")
    tar --numeric-owner -C "$stage" -c . | docker import "${changes[@]}" - "$golang_image" >/dev/null
    rm -rf "$stage"
}

# ---------------------------------------------------------------- 4. compose
find_compose() {
    if docker compose version >/dev/null 2>&1; then
        compose_cmd=(docker compose)
    elif command -v docker-compose >/dev/null; then
        compose_cmd=(docker-compose)
        # docker-compose 1.x builds with the docker CLI; without buildx the
        # CLI must use its classic builder.
        docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
    else
        die "neither 'docker compose' nor docker-compose is installed"
    fi
    say "compose: ${compose_cmd[*]} ($("${compose_cmd[@]}" version --short 2>/dev/null || echo '?'))"
}

run_stack() {
    local rc
    compose down -v --remove-orphans >/dev/null 2>&1 || true
    stack_up=true
    if [ "$mode" = demo ] && [ -t 0 ] && [ -t 1 ]; then
        say "building the images"
        compose build
        say "starting the KDC and the demo; the checks run, then a shell in the client"
        set +e
        compose run --rm client bash
        rc=$?
        set -e
    else
        say "compose up --build: kdc, demo, then the client's checks"
        set +e
        compose up --build --no-color --abort-on-container-exit --exit-code-from client
        rc=$?
        set -e
        echo
        echo "==================== client output ===================="
        compose logs --no-color --no-log-prefix client 2>/dev/null || compose logs --no-color client
        echo "======================================================="
        if [ "$rc" != 0 ]; then
            echo "The client's exit code is $rc. The end of the kdc's and demo's logs:"
            compose logs --no-color --tail=40 kdc demo || true
        fi
    fi
    say "compose down -v"
    compose down -v --remove-orphans >/dev/null 2>&1 || true
    stack_up=false
    return "$rc"
}

# Removes the superseded, untagged images these Dockerfiles made (a changed
# source otherwise leaves a few hundred MB behind per run), except the newest
# build stage: that one is the next run's layer cache. Images are listed
# newest first.
tidy_images() {
    local ids k
    ids=$(docker images -q --filter dangling=true --filter label=org.negotiate-go.docker=build | tail -n +2)
    for k in kdc demo client; do
        ids+=" $(docker images -q --filter dangling=true --filter label=org.negotiate-go.docker=$k)"
    done
    # shellcheck disable=SC2086 # a list of image IDs
    [ -z "${ids//[[:space:]]/}" ] || docker rmi $ids >/dev/null 2>&1 || true
}

install_missing
ensure_daemon
find_compose
ensure_debian_image
ensure_golang_image
rc=0
run_stack || rc=$?
tidy_images
exit "$rc"
