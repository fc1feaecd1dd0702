#!/usr/bin/env bash
# Host tests of the engine (proto/) and the pure parsers, with clippy on
# the host crates as the kernel applies it to the module.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --release 2>&1 | tee build/host-test.log
