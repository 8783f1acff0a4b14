# The OS-internals toolkit: one Makefile for the userland (Cargo workspace), the kernel, the
# module and the QEMU test VM. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ROOT := $(CURDIR)
TARGET := x86_64-unknown-linux-gnu
KRUSTC ?= /usr/bin/rustc
# The tools scripts/deps.sh installs outside the system (bindgen, httpolice) live here.
TOOLS_DIR ?= $(or $(TOOLKIT_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/os-toolkit)/tools
export PATH := $(TOOLS_DIR)/bin:$(HOME)/.cargo/bin:$(PATH)

# KDIR: a built kernel tree to build the module against and boot. Unset: the kernel that
# scripts/kernel.sh builds (once) into the cache outside the work tree.
ifeq ($(origin KDIR),undefined)
  OWN_KERNEL := 1
  KDIR = $(shell scripts/kernel.sh --kdir)
endif
VM := KDIR=$(KDIR) scripts/vm.sh

.PHONY: help deps kernel kmod userland check kmod-fmt host-test docs-check docs-check-vm strace-suite strace-suite-full vm vm-run vm-test test fuzz fuzz-check bench demo clean

help:
	@echo "make demo       set everything up, boot the VM, show /dev/mydevice (the README's first command)"
	@echo "make test       unit tests, clippy, rustfmt, every fuzz target for 20 s, then the integration suite in the VM"
	@echo "make deps       install what the build and tests need (Debian/Ubuntu, root)"
	@echo "make kernel     build the Rust-enabled test kernel into the cache (or use KDIR=...)"
	@echo "make kmod       build kmod/mydevice.ko"
	@echo "make userland   build chat, httpd, kv, proxy and strace-lite (static, for the host and the VM)"
	@echo "make vm         boot the VM with an interactive shell"
	@echo "make vm-run CMD='...'   boot the VM, run CMD inside, exit with its status"
	@echo "make vm-test    run the integration suite (tests/vm) in the VM; VM_TESTS=FILE runs one test"
	@echo "make strace-suite       the tests of strace 6.1's own suite that strace-lite passes (strace-lite/suite)"
	@echo "make strace-suite-full  strace-lite/suite/tests.list with strace and strace-lite side by side"
	@echo "make fuzz       run every fuzz target (fuzz/) for FUZZ_SECONDS each (default 30); FUZZ_TARGETS='a b' picks some; FUZZ_RUNS=N: N executions each instead"
	@echo "make fuzz-check every fuzz target for FUZZ_CHECK_SECONDS (20) from its corpus; a crash fails (make test runs it)"
	@echo "make bench      run the side-by-side benchmarks under bench/"
	@echo "make docs-check run every command of docs/progression.md and check its links"
	@echo "make docs-check-vm      run its VM commands in the VM (make vm-test runs them too)"

deps:
	@scripts/deps.sh

kernel: deps
ifdef OWN_KERNEL
	@scripts/kernel.sh >/dev/null
else
	@test -f "$(KDIR)/Module.symvers" || { echo "KDIR=$(KDIR) is not a built kernel tree (no Module.symvers)"; exit 1; }
	@grep -qx 'CONFIG_RUST=y' "$(KDIR)/.config" || { echo "KDIR=$(KDIR) was built without CONFIG_RUST=y"; exit 1; }
endif

# The module is built through clippy (the kernel's CLIPPY=1, with the clippy of the rustc that
# builds the kernel); a warning from rustc, clippy or modpost fails the build, as clippy's
# warnings do for the userland.
KCLIPPY ?= /usr/bin/clippy-driver
kmod: kernel
	@mkdir -p target
	@$(MAKE) -C "$(KDIR)" M="$(ROOT)" RUSTC=$(KRUSTC) HOSTRUSTC=$(KRUSTC) \
	  CLIPPY=1 CLIPPY_DRIVER=$(KCLIPPY) modules 2>&1 | tee target/kmod-build.log
	@! grep -Eq '^warning|^WARNING' target/kmod-build.log || { echo "kmod: the module build has warnings (see above)"; exit 1; }
	@echo "built kmod/mydevice.ko against $(KDIR)"

# Static binaries run on the host and, unchanged, in the VM's busybox initramfs; so do two
# integration test binaries the VM suite runs: devstats' device tests, against the real
# module, and proxy's large tests, for 10,000 connections at once where root may raise its
# descriptor limit. chat's TLS links Debian's libssl.a and libcrypto.a (libssl-dev) into them
# (OPENSSL_STATIC).
STATIC := RUSTFLAGS="-C target-feature=+crt-static" OPENSSL_STATIC=1
# static_test PACKAGE TEST NAME: builds PACKAGE's integration test TEST static and copies its
# binary to target/$(TARGET)/release/NAME.
define static_test
	$(STATIC) cargo test --release --locked --target $(TARGET) -p $(1) --test $(2) --no-run \
	  --message-format=json | grep '"kind":\["test"\]' | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' \
	  | xargs -I{} cp {} target/$(TARGET)/release/$(3)
endef
userland: deps
	$(STATIC) cargo build --release --locked --target $(TARGET) --workspace --bins
	$(call static_test,devstats,device,devstats-device-tests)
	$(call static_test,proxy,large,proxy-large-tests)

check: deps
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo test --workspace --locked
	docs/check-progression.sh --links

# The module is formatted with the kernel's own rustfmt settings.
kmod-fmt: kernel
	rustfmt --check --edition 2021 --config-path "$(KDIR)/source/.rustfmt.toml" kmod/*.rs

host-test: kmod userland
	KDIR=$(KDIR) tests/host/vm-harness.sh
	tests/host/strace-servers.sh
	strace-lite/suite/run.py --subset --lite target/$(TARGET)/release/strace-lite
	BIN_DIR=target/$(TARGET)/release docs/check-progression.sh

# docs/progression.md, the learning path: every `sh` block run on the host against the static
# binaries (about a minute), every `sh vm` block parsed, every link and line anchor checked.
docs-check: userland
	BIN_DIR=target/$(TARGET)/release docs/check-progression.sh

# Its `sh vm` blocks, run in the VM (make vm-test runs them too, with the whole suite): the
# guest test tests/vm/37-progression-vm-blocks.sh, which docs/check-progression.sh
# --write-vm-test generates from the page and docs-check keeps equal to it.
docs-check-vm: kmod userland
	@$(VM) test tests/vm/37-progression-vm-blocks.sh

# strace 6.1's own test suite (strace-lite/README.md, "Measured on strace's own test suite").
# The first run fetches Debian's strace source and builds the test programs it needs into the
# cache (~/.cache/os-toolkit/strace-suite); these targets build strace-lite themselves
# (cargo build --release). strace-suite: the tests strace-lite passes (suite/pass.list) must
# all still pass.
strace-suite:
	strace-lite/suite/run.py --subset
# strace-suite-full: the whole list under /usr/bin/strace and strace-lite (about 20 minutes).
strace-suite-full:
	strace-lite/suite/run.py --logs target/strace-suite --markdown target/strace-suite/results.md

vm: kmod userland
	@$(VM) shell

# $(value CMD): the command as typed, unexpanded by make, so that a $(...) or $VAR in it
# reaches the guest's shell (docs/progression.md's VM blocks use them).
vm-run: kmod userland
	@$(VM) run '$(value CMD)'

# VM_TESTS: the suite directory, or one test file of it.
VM_TESTS ?= tests/vm
vm-test: kmod userland
	@$(VM) test $(VM_TESTS)

test:
	@$(MAKE) check
	@$(MAKE) fuzz-check
	@$(MAKE) kmod-fmt
	@$(MAKE) host-test
	@$(MAKE) vm-test

# Coverage-guided fuzzing (fuzz/README.md). `make test` replays the committed corpora
# through the same target bodies without libFuzzer (each crate's tests/fuzz_corpus.rs).
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?=
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz.sh $(FUZZ_TARGETS)

# What `make test` runs: every target built once and fuzzed for FUZZ_CHECK_SECONDS from its
# committed corpus (about 4 minutes, plus the build), so that a regression the corpus replay
# misses can still show; a crash or hang fails it, naming the target and the input.
FUZZ_CHECK_SECONDS ?= 20
fuzz-check: deps
	@FUZZ_CHECK_SECONDS=$(FUZZ_CHECK_SECONDS) scripts/fuzz.sh --check $(FUZZ_TARGETS)

bench: userland
	@bench/run

demo: kmod userland
	@KDIR=$(KDIR) scripts/demo.sh

clean:
	cargo clean
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C "$(KDIR)" M="$(ROOT)" clean; fi
