# negotiate: HTTP Negotiate (SPNEGO/Kerberos) for Go net/http.
# `make test` is what CI runs (see .ci/run). Every target works on a fresh
# Debian or Ubuntu machine once `make deps` has installed the krb5 packages.

GO          ?= go
FUZZTIME    ?= 60s
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

# System packages: the GSS-API headers and library for cgo; MIT's KDC, admin
# and client programs, which the demo and the tests start as a throwaway
# realm; curl, a real Negotiate client the tests drive; faketime, for a KDC
# an hour behind (the expired-ticket test) and a frozen clock; MIT's PKINIT
# plugin and openssl, for anonymous tickets (kinit -n).
DEB_PACKAGES := libkrb5-dev pkg-config krb5-kdc krb5-admin-server krb5-user curl faketime krb5-pkinit openssl

# Fuzz targets, as package:Target.
FUZZ_TARGETS := \
	./gss:FuzzOptimisticKerberos \
	./middleware:FuzzParseAuthorization \
	./middleware:FuzzMiddleware \
	./middleware:FuzzCCacheName \
	./middleware:FuzzSessionCookie \
	./middleware:FuzzSessionPayload \
	./internal/ccache:FuzzParse \
	./integration:FuzzAccept \
	./pac:FuzzParse \
	./pac:FuzzParseLogonInfo

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# install-missing installs those of the Debian packages in $(1) that are not
# installed yet, running apt-get update first only if there are any.
define install-missing
	@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else echo "installed already: $(1)"; fi
endef

# Peers for the bench: Apache httpd and mod_auth_gssapi. They are needed to
# run `make bench`, not to build or vet anything.
BENCH_DEB_PACKAGES := apache2-bin libapache2-mod-auth-gssapi

# Build against Heimdal instead of MIT: alias .pc files give Heimdal's
# libraries MIT's pkg-config names, and the define keeps Go's build cache
# from mixing the two builds (it does not see PKG_CONFIG_PATH).
HEIMDAL_ENV := PKG_CONFIG_PATH=$(CURDIR)/build/heimdal CGO_CFLAGS="-g -O2 -DNEGOTIATE_WANT_HEIMDAL"

# The interop matrix's clients (curl, requests-kerberos, Chromium), and
# Heimdal's development files for its Heimdal-linked demo (interop/doc.go).
INTEROP_PACKAGES := python3-requests-kerberos chromium curl heimdal-multidev

# A real Active Directory DC (Samba), which the AD tests and `demo -realm ad`
# start as a throwaway domain on 127.0.0.1:88 and :389 (root only).
AD_DEB_PACKAGES := samba-ad-dc samba winbind

.PHONY: all deps deps-heimdal deps-interop deps-ad build demo test test-go-oldest test-heimdal test-interop \
	test-ad docker-demo docker-test lint fuzz bench asan memcheck soak corpus

all: build

## deps: install the Debian packages that are missing (idempotent).
deps:
	$(call install-missing,$(DEB_PACKAGES))

## build: compile everything; the middleware must build without cgo. It
## installs the system packages first (deps), so that a fresh clone's
## `make test` needs nothing before it.
build: deps
	$(GO) build ./...
	CGO_ENABLED=0 $(GO) build ./middleware/...

## demo: run the demo server with its own throwaway realm (Ctrl-C stops it).
demo: deps
	$(GO) run ./cmd/demo

## test: vet (the bench module too), then every test with the race
## detector, against a real KDC.
test: deps build
	$(GO) vet ./...
	cd bench && $(GO) vet ./...
	$(GO) test -race -count=1 ./...
	cd examples && $(GO) vet ./... && $(GO) test -race -count=1 ./...

## test-go-oldest: vet everything and run the pure-Go tests with the oldest
## Go that go.mod allows; the toolchain downloads through the module proxy.
GO_OLDEST ?= go1.24.11
test-go-oldest:
	GOTOOLCHAIN=$(GO_OLDEST) $(GO) vet ./...
	GOTOOLCHAIN=$(GO_OLDEST) $(GO) test -count=1 . ./middleware/ ./pac/ ./internal/ccache/

## deps-heimdal: install Heimdal's development files beside MIT's.
deps-heimdal:
	$(call install-missing,heimdal-multidev)

## test-heimdal: the tests that touch GSS-API, built against Heimdal's
## library and run against the MIT test KDC (the protocol is the same).
test-heimdal: deps-heimdal
	$(HEIMDAL_ENV) $(GO) vet ./gss/
	$(HEIMDAL_ENV) $(GO) test -race -count=1 ./gss/ ./client/ ./integration/ ./cmd/demo/

## deps-ad: install Samba's AD domain controller beside the krb5 packages.
deps-ad: deps
	$(call install-missing,$(AD_DEB_PACKAGES))

## test-ad: every test against a throwaway Samba AD domain (NEGOTIATE_AD=1;
## as root): adrealm's own, the PACs Samba issues, and the integration
## tests of PACs, groups, S4U and the demo. A domain holds the fixed ports
## 88 and 389, so the packages run one at a time (-p 1), and the tests
## within one never in parallel; a second run waits on adrealm's lock.
test-ad: deps-ad
	NEGOTIATE_AD=1 $(GO) test -race -count=1 ./internal/adrealm/
	NEGOTIATE_AD=1 $(GO) test -race -count=1 -p 1 ./pac/ ./integration/ -run '^Test(AD|Samba)|S4U'

## deps-interop: install the interop matrix's clients (idempotent).
deps-interop: deps
	$(call install-missing,$(INTEROP_PACKAGES))

## test-interop: the client interoperability matrix: curl, requests-kerberos,
## headless Chromium and negotiate-client against the demo built with MIT
## and with Heimdal. -v shows the versions and the matrix it logs.
test-interop: deps-interop
	NEGOTIATE_INTEROP=1 $(GO) test -race -count=1 -v ./interop/

## docker-demo: KDC, demo and client in containers, then a shell in the
## client with alice's ticket (as root it installs Docker and starts dockerd
## if none runs; base images are built locally with debootstrap).
docker-demo:
	bash docker/test.sh demo

## docker-test: build the images and run the client container's end-to-end
## checks (curl and negotiate-client, with delegation); exit 0 only if all pass.
docker-test:
	bash docker/test.sh test

## lint: formatting, vet and staticcheck.
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## fuzz: run each fuzz target for FUZZTIME (default 60s; CI uses 15s). A
## bare deadline failure at the end of the window, with no failing input,
## is the toolchain's race (go.dev/issue/75804) and gets one more try:
## see build/fuzz.sh.
fuzz:
	GO=$(GO) bash build/fuzz.sh $(FUZZTIME) $(FUZZ_TARGETS)

## asan: gss, client and integration tests under AddressSanitizer and
## LeakSanitizer (the one test that meets MIT's own leak on a failed
## gss_acquire_cred_from runs without leak checks).
asan:
	$(GO) test -asan -count=1 -skip '^TestNewAcceptorErrorsNameTheCause$$' ./gss/ ./client/ ./integration/
	ASAN_OPTIONS=detect_leaks=0 $(GO) test -asan -count=1 -run '^TestNewAcceptorErrorsNameTheCause$$' ./gss/
	NEGOTIATE_ACCEPT_LOOP=20000 $(GO) test -asan -count=1 -run '^TestAcceptLoopMemory$$' -v ./integration/

## memcheck: 100,000 accepts of every kind; RSS must stay flat within 5%.
memcheck:
	NEGOTIATE_ACCEPT_LOOP=100000 $(GO) test -count=1 -run '^TestAcceptLoopMemory$$' -v ./integration/

SOAKTIME ?= 2m

## soak: 64 clients with fresh delegating tokens against the demo
## (-delegation-dir) for SOAKTIME; reports rate, errors, RSS, fds, threads.
soak:
	$(GO) run ./cmd/soak -duration $(SOAKTIME) -clients 64

## corpus: rewrite the fuzz seed corpora from a fresh realm.
corpus:
	NEGOTIATE_WRITE_CORPUS=1 $(GO) test -count=1 -run '^TestWriteFuzzCorpus$$' ./integration/

## bench: the acceptor's and the middleware's micro-benchmarks, then
## bench/'s comparison: the floor, plain net/http, ours, go-gssapi's
## handler, Apache mod_auth_gssapi and gokrb5, each its own pinned process
## (3 to 5 minutes; BENCHMARKS.md explains the table).
bench: deps
	$(call install-missing,$(BENCH_DEB_PACKAGES))
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1,2 ./gss/ ./middleware/
	cd bench && $(GO) run ./cmd/bench -duration 10s -conns 8
