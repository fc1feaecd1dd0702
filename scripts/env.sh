# Sourced by the scripts: where the kernel cache lives and how to reach it.
# The cache is keyed by the Debian source version, the config fragments and
# the compilers, so that a change to any of them builds a new tree.
#
# VARIANT picks the kernel: debug (the default; KASAN, lockdep, kmemleak,
# DEBUG_OBJECTS: what the tests run on) or release (the same without the
# debugging options, -O2: what make bench runs on). Each has its own tree,
# keyed by the fragments' bytes: any edit to them, comments too, builds a
# new kernel.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="/usr/lib/llvm-19/bin:$HOME/.cargo/bin:$PATH"
cache=${RXRPC_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rxrpc-rs}
VARIANT=${VARIANT:-debug}
case $VARIANT in
debug | release) ;;
*) echo "env.sh: VARIANT=$VARIANT: debug or release" >&2; exit 1 ;;
esac
fragments=("$top/tools/testing/selftests/net/rxrpc/config" "$top/kernel/vm.config" "$top/kernel/$VARIANT.config")
ksrc_ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo none)
ksrc="$cache/src/linux-$ksrc_ver"
kkey=$( (cat "${fragments[@]}"; echo "$ksrc_ver"; (cd "$top" && rustc --version); clang --version | head -1) | sha256sum | cut -c1-16)
if [ "$VARIANT" = debug ]; then
	kdir="$cache/build/linux-$ksrc_ver-$kkey"
	# Our module for this kernel: built in place (make module).
	rsdir="$top"
else
	kdir="$cache/build/linux-$ksrc_ver-$VARIANT-$kkey"
	# Built in a copy of the sources (6.12's Kbuild has no output
	# directory for external modules), so as not to clobber the debug one.
	rsdir="$top/build/$VARIANT-module"
fi
rsko="$rsdir/rxrpc-rs.ko"
kmods="$kdir/modules-staging"
kmake=(make -C "$ksrc" O="$kdir" LLVM=1 -j"$(nproc)")
