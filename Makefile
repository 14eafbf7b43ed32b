# The two commands of the README: `make run` and `make test`. Both install what they need first.
SWIFT ?= swift
STATE_DIR ?= $(CURDIR)/state
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
# /etc rather than $(PREFIX)/lib/systemd/system: systemd looks there whatever PREFIX is (it searches only /usr and
# /usr/local below lib), and it is the administrator's own directory, which a hand-run `make install` acts for.
UNITDIR ?= /etc/systemd/system
MODULESLOADDIR ?= /etc/modules-load.d
CONFIGURATION ?= release
# Installed binaries must not need the toolchain's directory (their RUNPATH) on the machine that runs them. Built
# in a scratch directory of their own: switching .build/release between static and dynamic runtime recompiles
# everything (minutes) each time `make run` and `make install` alternate.
INSTALL_SWIFT_FLAGS ?= --static-swift-stdlib
INSTALL_SCRATCH ?= .build/install
INSTALL_FROM = $(INSTALL_SCRATCH)/$(CONFIGURATION)

.PHONY: run test build build-tests unit-test vm-test vm-fetch vm-demo bench deps-run deps-test clean

run: deps-run
	$(SWIFT) build -c release --product ublkd
	$(SWIFT) build -c release --product ublkctl
	.build/release/ublkd --state-dir $(STATE_DIR)

test: deps-test build-tests unit-test install-test vm-fetch vm-test

deps-run:
	@scripts/install-deps run

deps-test:
	@scripts/install-deps test

build:
	$(SWIFT) build

build-tests:
	$(SWIFT) build --build-tests

unit-test:
	$(SWIFT) test --skip-build

.PHONY: install-test install-binaries install uninstall

install-test:
	scripts/test-install

# SwiftPM rebuilds only what changed. Without swift on PATH (e.g. under sudo), binaries built before are used.
install-binaries:
	@if command -v $(SWIFT) >/dev/null 2>&1; then \
		$(SWIFT) build -c $(CONFIGURATION) --scratch-path $(INSTALL_SCRATCH) $(INSTALL_SWIFT_FLAGS) --product ublkd && \
		$(SWIFT) build -c $(CONFIGURATION) --scratch-path $(INSTALL_SCRATCH) $(INSTALL_SWIFT_FLAGS) --product ublkctl; \
	elif [ -x $(INSTALL_FROM)/ublkd ] && [ -x $(INSTALL_FROM)/ublkctl ]; then \
		echo "install: $(SWIFT) not on PATH; installing the binaries already in $(INSTALL_FROM)"; \
	else \
		echo "install: $(SWIFT) not on PATH and nothing built in $(INSTALL_FROM)" >&2; exit 1; \
	fi

install: install-binaries
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MODULESLOADDIR)
	install -m 0755 $(INSTALL_FROM)/ublkd $(INSTALL_FROM)/ublkctl $(DESTDIR)$(BINDIR)/
	sed 's|@BINDIR@|$(BINDIR)|g' dist/systemd/ublkd.service > $(DESTDIR)$(UNITDIR)/ublkd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ublkd.service
	install -m 0644 dist/modules-load.d/ublkd.conf $(DESTDIR)$(MODULESLOADDIR)/ublkd.conf
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "installed; to start ublkd now and at every boot: systemctl daemon-reload && systemctl enable --now ublkd"; \
	fi

# An enabled unit whose file is gone leaves a link systemctl can no longer disable, hence the order.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && systemctl --quiet is-enabled ublkd 2>/dev/null; then \
		echo "uninstall: ublkd is enabled; run 'systemctl disable --now ublkd' first" >&2; exit 1; \
	fi
	rm -f $(DESTDIR)$(BINDIR)/ublkd $(DESTDIR)$(BINDIR)/ublkctl $(DESTDIR)$(UNITDIR)/ublkd.service \
		$(DESTDIR)$(MODULESLOADDIR)/ublkd.conf
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "removed; now run: systemctl daemon-reload"; \
	fi

vm-fetch:
	scripts/vm-run --kernel stable --fetch-only
	scripts/vm-run --kernel newest --fetch-only

vm-test:
	scripts/vm-test stable newest

# Try ublkd without a ublk kernel: the test VM with ublkd inside, its API on 127.0.0.1:7878 (see README).
vm-demo: deps-test
	$(SWIFT) build -c release --product ublkd
	$(SWIFT) build -c release --product ublkctl
	scripts/vm-run --kernel newest --fetch-only
	scripts/vm-demo

bench: deps-test
	$(SWIFT) build -c release --product ublkd
	scripts/bench

clean:
	rm -rf .build
