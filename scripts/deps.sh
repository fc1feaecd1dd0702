#!/usr/bin/env bash
# Install what building and testing need. Quick when everything is present.
set -euo pipefail

apt_pkgs=(linux-source-6.12 clang-19 lld-19 llvm-19 libclang-19-dev flex bison bc
	  libelf-dev libssl-dev cpio kmod busybox-static qemu-system-x86 xz-utils
	  keyutils tcpdump iproute2 python3 gcc-multilib)

missing=()
for p in "${apt_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

# rust-toolchain.toml pins rustc; rustup resolves it (and rust-src) on first use.
cd "$(dirname "$0")/.."
rustup component add rust-src clippy rustfmt >/dev/null 2>&1 || rustup component add rust-src clippy rustfmt

if ! bindgen --version 2>/dev/null | grep -q '0\.71\.1'; then
	echo "deps: installing bindgen-cli 0.71.1"
	cargo install --locked bindgen-cli --version 0.71.1
fi
