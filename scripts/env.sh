# Sourced by the scripts: where the kernel cache lives and how to reach it.
# The cache is keyed by the Debian source version, the config fragments and
# the compilers, so that a change to any of them builds a new tree.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="/usr/lib/llvm-19/bin:$HOME/.cargo/bin:$PATH"
cache=${RXRPC_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rxrpc-rs}
fragments=("$top/tools/testing/selftests/net/rxrpc/config" "$top/kernel/vm.config")
ksrc_ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo none)
ksrc="$cache/src/linux-$ksrc_ver"
kkey=$( (cat "${fragments[@]}"; echo "$ksrc_ver"; (cd "$top" && rustc --version); clang --version | head -1) | sha256sum | cut -c1-16)
kdir="$cache/build/linux-$ksrc_ver-$kkey"
kmods="$kdir/modules-staging"
kmake=(make -C "$ksrc" O="$kdir" LLVM=1 -j"$(nproc)")
