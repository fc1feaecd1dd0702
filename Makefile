# rxrpc-rs: AF_RXRPC as a Rust kernel module.
#
#   make run     build what is missing, boot a VM, show RxRPC over our module
#   make check   every test: lint, host tests, module build, VM kselftests
#                on ours and the shared subset on the C rxrpc.ko, the
#                engine and module against rxrpc.ko and OpenAFS, and kAFS
#
#   make wire-test   the engine against rxrpc.ko, 1 B to 8 MiB each way
#   make interop     our module against rxrpc.ko across two guests
#   make openafs     OpenAFS (Debian's vlserver, ptserver, rxdebug) against
#                    our module and rxrpc.ko, across two guests
#   make bench       ours against rxrpc.ko, same run: plain, rxkad, rxperf.ko
#                    (release kernel; BENCH_VARIANT=debug for the test one)
#   make kafs        kAFS (kafs.ko) on our module and rxrpc.ko, on an OpenAFS cell
#   make lint        layering rules and the kernel's rustfmt
#   make fuzz        the cargo-fuzz targets, 30 minutes each (FUZZ_SECONDS)
#   make stress      the stress kselftests at full scale (10,000 connections)
#                    on ours and rxrpc.ko; VARIANT=release for memory figures
#
# The kernel is built once into ~/.cache/rxrpc-rs (RXRPC_RS_CACHE);
# VARIANT=release (no KASAN, lockdep) for kernel, module, print-kdir/-ko.

SHELL := /bin/bash
ENV := . scripts/env.sh &&
RXRPC_IMPL ?= rs

.PHONY: help deps kernel module print-kdir print-ko host-test selftests \
	vm-test check run clean lint

help:
	@sed -n '3,22p' Makefile

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/kernel-build.sh

# The debug module is built in place (what make check loads); another
# variant's in a copy of the module's sources, build/<variant>-module/
# (6.12's Kbuild has no output directory for an external module), from
# the work tree or, with RS_REV=<commit>, from that commit. The copy keeps
# the times of unchanged files, so that Kbuild rebuilds what changed.
RS_SRC := Kbuild rxrpc_rs.rs kapi proto security sock
module: kernel
	@$(ENV) if [ "$$VARIANT" = debug ]; then \
		"$${kmake[@]}" M=$(CURDIR) CLIPPY=1 modules; \
	else \
		src=. && \
		if [ -n "$(RS_REV)" ]; then \
			src=$(CURDIR)/build/$$VARIANT-module.src && rm -rf "$$src" && \
			mkdir -p "$$src" && git archive "$(RS_REV)" $(RS_SRC) | tar -x -C "$$src" && \
			echo "module: rxrpc-rs at $$(git rev-parse --short "$(RS_REV)") for the $$VARIANT kernel" >&2; \
		fi && \
		mkdir -p "$$rsdir" && \
		(cd "$$src" && rsync -rc --delete --exclude='*_generated.rs' --include='*/' \
			--include='*.rs' --include='*.[ch]' --include=bindgen_allowlist \
			--include=Kbuild --exclude='*' $(RS_SRC) "$$rsdir/") && \
		"$${kmake[@]}" M="$$rsdir" modules; \
	fi

# The kernel tree and our module for VARIANT, built if missing; only the
# path on stdout.
print-kdir:
	@$(MAKE) -s kernel >&2
	@$(ENV) echo "$$kdir"

print-ko:
	@$(MAKE) -s module >&2
	@$(ENV) echo "$$rsko"

host-test: deps
	@scripts/host-test.sh

# The layering rules (kapi/ names nothing above it; bindings and unsafe
# only there) and rustfmt with the kernel's .rustfmt.toml.
lint: kernel
	@mkdir -p build && set -o pipefail && scripts/lint.sh | tee build/lint.log

selftests: kernel
	@$(ENV) $(MAKE) -s -C tools/testing/selftests/net/rxrpc KSRC="$$ksrc" \
		KDIR="$$kdir" OUTPUT=$(CURDIR)/build/selftests

vm-test: module selftests
	@scripts/vm-test.sh $(RXRPC_IMPL)

check: lint host-test module selftests
	@scripts/check.sh

run: module selftests
	@scripts/run.sh

# Interop with the C rxrpc.ko in a second guest; INTEROP_MATRIX=small for
# the short form (clean link, 1 B and 64 KiB, both directions).
.PHONY: interop
interop: module selftests
	@scripts/interop.sh $(INTEROP_MATRIX)

# OpenAFS peers (Debian bookworm's 1.8.9 packages, cached in
# ~/.cache/rxrpc-rs/openafs) against our module, then against rxrpc.ko;
# OPENAFS_B=rs or OPENAFS_B=c for one of them.
.PHONY: openafs
openafs: module selftests
	@scripts/openafs.sh $(OPENAFS_B)

# kAFS end to end: kafs.ko on our module, then on rxrpc.ko, against a
# one-host OpenAFS cell (Debian's 1.8.9 servers) in a second guest;
# KAFS_B=rs or KAFS_B=c for one of them. Part of check (both).
.PHONY: kafs
kafs: module selftests
	@scripts/kafs.sh $(KAFS_B)

# The engine (host/udp-driver, in userspace over UDP) against the C
# rxrpc.ko in one guest, both directions, 1 B to 8 MiB (WIRE_SIZES=...).
.PHONY: wire-test
wire-test: module selftests
	@scripts/wire-test.sh

# The cargo-fuzz targets (fuzz/) one after another, FUZZ_SECONDS each
# (default 1800; 60 for a smoke run), FUZZ_TARGETS to pick some; fails on
# a crash. Stable Rust with RUSTC_BOOTSTRAP; installs cargo-fuzz if
# missing. Not part of check.
.PHONY: fuzz
fuzz:
	@scripts/fuzz.sh $(FUZZ_TARGETS)

# Benchmark: our module and rxrpc.ko in guests booted in turn (c rs rs c),
# the same program on each (scripts/bench/rxrpc_bench.c); prints figures
# and ratios, fails only on errors. Not part of check. On the release
# kernel unless BENCH_VARIANT (or VARIANT) says debug; its kernel and our
# module for it are built if missing. Knobs: BENCH_* in scripts/bench.sh.
BENCH_VARIANT ?= $(or $(VARIANT),release)
.PHONY: bench
bench: selftests
	@$(MAKE) -s module VARIANT=$(BENCH_VARIANT)
	@VARIANT=$(BENCH_VARIANT) scripts/bench.sh

# The stress kselftests (flood, torture, faults) at full scale on our
# module, then on rxrpc.ko: RXRPC_FLOOD_CONNS connections (10,000 here;
# check makes 500). VARIANT=release runs them without KASAN, whose
# quarantine hides what memory comes back (the programs are the same; the
# KUnit modules need the debug kernel). Not part of check.
STRESS_TESTS := rxrpc_module.sh rxrpc_flood rxrpc_torture rxrpc_faults
.PHONY: stress
stress:
	@$(MAKE) -s selftests VARIANT=debug
	@$(MAKE) -s module VARIANT=$(or $(VARIANT),debug)
	@st=0; for impl in rs c; do \
		RXRPC_FLOOD_CONNS=$${RXRPC_FLOOD_CONNS:-10000} VM_TESTS="$(STRESS_TESTS)" \
			VARIANT=$(or $(VARIANT),debug) scripts/vm-test.sh $$impl || st=1; \
	done; exit $$st

clean:
	@$(ENV) "$${kmake[@]}" M=$(CURDIR) clean >/dev/null
	rm -rf build kapi/bindings_generated.rs
