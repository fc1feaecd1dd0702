#!/usr/bin/env bash
# Build the Rust-enabled 6.12 kernel and the C reference modules into the
# cache, for VARIANT (debug, the default, or release; see env.sh).
# A second run with the same inputs does nothing.
set -euo pipefail
. "$(dirname "$0")/env.sh"

if [ -f "$kdir/.rxrpc-rs-built" ]; then
	exit 0
fi

if [ ! -f "$ksrc/Makefile" ]; then
	echo "kernel: unpacking linux-source $ksrc_ver into $ksrc"
	mkdir -p "$cache/src"
	rm -rf "$ksrc.tmp"; mkdir -p "$ksrc.tmp"
	tar -C "$ksrc.tmp" -xf /usr/src/linux-source-6.12.tar.xz
	mv "$ksrc.tmp/linux-source-6.12" "$ksrc"; rmdir "$ksrc.tmp"
fi

mkdir -p "$kdir"
echo "kernel: configuring the $VARIANT kernel in $kdir"
"${kmake[@]}" tinyconfig >/dev/null
"$ksrc/scripts/kconfig/merge_config.sh" -m -O "$kdir" "$kdir/.config" "${fragments[@]}" >/dev/null
"${kmake[@]}" olddefconfig >/dev/null
"${kmake[@]}" rustavailable >/dev/null

# Every option the fragments ask for must have survived olddefconfig.
bad=0
for f in "${fragments[@]}"; do
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		opt=${line%%=*} val=${line#*=}
		if [ "$val" = n ]; then
			grep -q "^$opt=" "$kdir/.config" && { echo "kernel: $opt should be off"; bad=1; }
		else
			grep -qx "$line" "$kdir/.config" || { echo "kernel: $line did not stick"; bad=1; }
		fi
	done < "$f"
done
[ $bad = 0 ] || { echo "kernel: config fragment not satisfied"; exit 1; }

log="$kdir/build.log"
echo "kernel: building (about 15-25 min cold on 2 cores); log in $log"
start=$SECONDS
( "${kmake[@]}" bzImage modules && \
  rm -rf "$kmods" && "${kmake[@]}" INSTALL_MOD_PATH="$kmods" modules_install ) >"$log" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	sleep 30
	n=$(grep -cE '^  (CC|RUSTC|AS|LD)' "$log" || true)
	printf 'kernel: %4ds, %5d objects built\n' $((SECONDS - start)) "$n"
done
if ! wait $pid; then
	tail -40 "$log"; echo "kernel: build failed"; exit 1
fi
touch "$kdir/.rxrpc-rs-built"
echo "kernel: built in $((SECONDS - start)) s"
