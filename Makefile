# The two commands of the README: `make run` and `make test`. Both install what they need first.
SWIFT ?= swift
STATE_DIR ?= $(CURDIR)/state
PREFIX ?= /usr/local

.PHONY: run test build build-tests unit-test vm-test vm-fetch vm-demo bench deps-run deps-test clean

run: deps-run
	$(SWIFT) build -c release --product ublkd
	$(SWIFT) build -c release --product ublkctl
	.build/release/ublkd --state-dir $(STATE_DIR)

test: deps-test build-tests unit-test vm-fetch vm-test

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
