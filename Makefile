# The two commands of the README: `make run` and `make test`. Both install what they need first.
SWIFT ?= swift
STATE_DIR ?= $(CURDIR)/state
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
# /etc rather than $(PREFIX)/lib/systemd/system: systemd looks there whatever PREFIX is (it searches only /usr and
# /usr/local below lib), and it is the administrator's own directory, which a hand-run `make install` acts for.
UNITDIR ?= /etc/systemd/system
MODULESLOADDIR ?= /etc/modules-load.d
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
# zsh's own directory for completions under a prefix; the Debian package uses /usr/share/zsh/vendor-completions.
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
CONFIGURATION ?= release
# Installed binaries must not need the toolchain's directory on the machine that runs them, nor any RUNPATH at all
# (the Swift runtime is linked in; the libraries they load are the system's); "-z now" resolves every symbol at
# start so that the whole relocation table can be read-only (full RELRO, as Debian's hardening asks). Built in a scratch directory of their
# own: switching .build/release between static and dynamic runtime recompiles everything (minutes) each time
# `make run` and `make install` alternate.
INSTALL_SWIFT_FLAGS ?= --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now
INSTALL_SCRATCH ?= .build/install
INSTALL_FROM = $(INSTALL_SCRATCH)/$(CONFIGURATION)
# Man pages and shell completions, generated from the installed binaries' own argument parsers (scripts/generate-docs).
DOCS_FROM = $(INSTALL_SCRATCH)/docs
# The Debian package's revision: `make deb DEB_REVISION=2` packs the same build as a higher version (the VM test
# upgrades -1 to -2 under load).
DEB_REVISION ?= 1

.PHONY: run test build build-tests unit-test vm-test vm-fetch vm-demo bench deps-run deps-test deps-deb clean

run: deps-run
	$(SWIFT) build -c release --product ublkd
	$(SWIFT) build -c release --product ublkctl
	.build/release/ublkd --state-dir $(STATE_DIR)

test: deps-test build-tests unit-test install-test deb-test vm-fetch vm-test

deps-run:
	@scripts/install-deps run

deps-test:
	@scripts/install-deps test

deps-deb:
	@scripts/install-deps deb

build:
	$(SWIFT) build

build-tests:
	$(SWIFT) build --build-tests

unit-test:
	$(SWIFT) test --skip-build

.PHONY: install-test install-binaries docs install install-files uninstall deb deb-test

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

docs:
	@scripts/generate-docs $(INSTALL_FROM) $(DOCS_FROM)

install: install-binaries docs
	@$(MAKE) --no-print-directory install-files
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "installed; to start ublkd now and at every boot: systemctl daemon-reload && systemctl enable --now ublkd"; \
	fi

# What gets installed, from what install-binaries and docs built; the Debian package's rules call this too, with
# Debian's directories.
install-files:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MODULESLOADDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 $(INSTALL_FROM)/ublkd $(INSTALL_FROM)/ublkctl $(DESTDIR)$(BINDIR)/
	sed 's|@BINDIR@|$(BINDIR)|g' dist/systemd/ublkd.service > $(DESTDIR)$(UNITDIR)/ublkd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ublkd.service
	install -m 0644 dist/modules-load.d/ublkd.conf $(DESTDIR)$(MODULESLOADDIR)/ublkd.conf
	install -m 0644 $(DOCS_FROM)/man/ublkd.8 $(DOCS_FROM)/man/ublkctl.8 $(DESTDIR)$(MANDIR)/man8/
	for tool in ublkd ublkctl; do \
		install -m 0644 $(DOCS_FROM)/completions/$$tool.bash $(DESTDIR)$(BASHCOMPDIR)/$$tool && \
		install -m 0644 $(DOCS_FROM)/completions/_$$tool $(DESTDIR)$(ZSHCOMPDIR)/_$$tool && \
		install -m 0644 $(DOCS_FROM)/completions/$$tool.fish $(DESTDIR)$(FISHCOMPDIR)/$$tool.fish || exit 1; \
	done

# An enabled unit whose file is gone leaves a link systemctl can no longer disable, hence the order.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && systemctl --quiet is-enabled ublkd 2>/dev/null; then \
		echo "uninstall: ublkd is enabled; run 'systemctl disable --now ublkd' first" >&2; exit 1; \
	fi
	rm -f $(DESTDIR)$(BINDIR)/ublkd $(DESTDIR)$(BINDIR)/ublkctl $(DESTDIR)$(UNITDIR)/ublkd.service \
		$(DESTDIR)$(MODULESLOADDIR)/ublkd.conf $(DESTDIR)$(MANDIR)/man8/ublkd.8 $(DESTDIR)$(MANDIR)/man8/ublkctl.8
	for tool in ublkd ublkctl; do \
		rm -f $(DESTDIR)$(BASHCOMPDIR)/$$tool $(DESTDIR)$(ZSHCOMPDIR)/_$$tool $(DESTDIR)$(FISHCOMPDIR)/$$tool.fish; \
	done
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "removed; now run: systemctl daemon-reload"; \
	fi

# The Debian package, from the same release build as `make install` (README "Install the Debian package").
deb: deps-deb install-binaries docs
	@scripts/build-deb $(DEB_REVISION)

# Both packages the VM test installs (-1, then -2 over it), checked on the host: contents, dependencies, lintian.
deb-test: deps-deb install-binaries docs
	scripts/test-deb

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
