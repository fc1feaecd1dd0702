#!/usr/bin/env bash
# Host tests: the engine (proto/) and the key payload parsers, with clippy
# on the host crates as the kernel applies it to the module, and the
# deterministic simulator at 10,000 random plus 10,000 hostile scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
cargo clippy --workspace --all-targets --quiet -- -D warnings
SIM_SCENARIOS=${SIM_SCENARIOS:-10000} cargo test --workspace --release 2>&1 | tee build/host-test.log
