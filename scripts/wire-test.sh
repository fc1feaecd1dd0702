#!/usr/bin/env bash
# Wire test: the rxrpc-rs protocol engine (proto/), run in userspace by
# host/udp-driver over a real UDP socket, against the kernel's C AF_RXRPC
# (rxrpc.ko), both on 127.0.0.1 inside one QEMU (TCG) guest:
#   rs-client-to-c-server/SIZE   rxrpc-udp-driver client -> rxrpc_bulk server
#   c-client-to-rs-server/SIZE   rxrpc_bulk client -> rxrpc-udp-driver server
# One call per cell, SIZE bytes each way, byte-exact (the reply is the
# request XOR 0x5A, checked by the client against its own pattern, so a
# corrupt request shows up too). Plus a cell for a clean kernel log.
#
#   scripts/wire-test.sh            (WIRE_SIZES="1 65536" for a subset)
#
# WIRE_REF=1 adds reference rows, not counted: the C module alone (C client
# -> C server) and the engine alone (driver -> driver), for the figures.
# WIRE_RMEM=BYTES sets the guest's net.core.rmem_default (the driver's UDP
# socket cannot set SO_RCVBUF itself; the default, 212992, drops bursts).
# WIRE_PCAP='<shell pattern>' captures the matching cells in the guest
# (scripts/wire/rxcap.c) into build/wire/pcap/<cell>.pcap, e.g.
# WIRE_PCAP='*/1048576'; read them with tcpdump -nn -vv -r FILE (tcpdump
# decodes Rx on UDP ports 7000-7009 only: the ten matrix cells use those).
#
# Prints one PASS/FAIL line per cell, then "N passed, N failed"; exits
# non-zero on a failure. Every wait is bounded: the guest's programs have
# their own limits and the whole guest WIRE_VM_LIMIT seconds (default 900).
# Console log and images in build/wire/ (WIRE_OUT=DIR for another).
set -euo pipefail
. "$(dirname "$0")/vm-lib.sh"

out=${WIRE_OUT:-$top/build/wire}
sizes=${WIRE_SIZES:-"1 1412 65536 1048576 8388608"}
limit=${WIRE_VM_LIMIT:-900}
target=x86_64-unknown-linux-gnu
start=$SECONDS
rm -rf "$out"; mkdir -p "$out"

# --- The static binaries -------------------------------------------------
# The guest has busybox and nothing else: no libc, so all are static.
(cd "$top" && RUSTFLAGS="-C target-feature=+crt-static" \
	cargo build -q --release -p rxrpc-udp-driver --target $target)
driver="$top/target/$target/release/rxrpc-udp-driver"
gcc -O2 -Wall -Werror -static -I"$kdir/usr-headers/include" -I"$top/tools/testing/selftests/net/rxrpc" \
	-o "$out/rxrpc_bulk" "$top/scripts/wire/rxrpc_bulk.c"
gcc -O2 -Wall -Werror -static -o "$out/rxcap" "$top/scripts/wire/rxcap.c"
for b in "$driver" "$out/rxrpc_bulk" "$out/rxcap"; do
	if readelf -l "$b" | grep -q 'program interpreter'; then
		echo "FAIL build: $b is not statically linked (it has an ELF interpreter)"
		echo "0 passed, 1 failed"; exit 1
	fi
done

# --- The image: vm_image's C-module demo image, with our guest script as
# the demo and the three programs added, re-packed ---------------------------
vm_image c demo "$out"
cp "$driver" "$out/root/tests/rxrpc-udp-driver"
cp "$out/rxrpc_bulk" "$out/rxcap" "$out/root/tests/"
cp "$top/scripts/wire/guest.sh" "$out/root/tests/demo.sh"
chmod 755 "$out/root/tests/"{rxrpc-udp-driver,rxrpc_bulk,rxcap,demo.sh}
printf 'WIRE_SIZES="%s"\nWIRE_REF=%s\nWIRE_PCAP='"'%s'"'\nWIRE_RMEM=%s\n' \
	"$sizes" "${WIRE_REF:-0}" "${WIRE_PCAP:-}" "${WIRE_RMEM:-}" >> "$out/root/etc/rxrpc-test.conf"
(cd "$out/root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.gz"
build_s=$((SECONDS - start))

# --- Boot and run ----------------------------------------------------------
boot=$SECONDS
vm_boot "$out" "$out/console.raw" "$limit" || true
vm_clean_log "$out/console.raw" > "$out/console.log"
run_s=$((SECONDS - boot))

# --- Packet captures -------------------------------------------------------
if [ -n "${WIRE_PCAP:-}" ]; then
	mkdir -p "$out/pcap"
	awk -v dir="$out/pcap" '
		/^wire: PCAP-BEGIN / { f = $3; gsub("/", "-", f); f = dir "/" f ".pcap.gz.b64"; next }
		/^wire: PCAP-END/ { close(f); f = ""; next }
		f != "" { print > f }' "$out/console.log"
	for b in "$out"/pcap/*.b64; do
		[ -e "$b" ] || continue
		base64 -d "$b" | gunzip > "${b%.gz.b64}" && rm "$b"
	done
fi

# --- The table ---------------------------------------------------------------
pass=0 fail=0
cell() { # PASS|FAIL name detail
	echo "$1 $2${3:+  ($3)}"
	if [ "$1" = PASS ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}
# row NAME SIZE: PASS|FAIL|REF-PASS|REF-FAIL line of a cell
row() {
	local name=$1 s=$2 line t rate rx
	line=$(grep -m1 "^wire: CELL $name " "$out/console.log" || true)
	t=$(awk -v n="$name" '$1 == "wire:" && $2 == "TIME" && $3 == n { print $4; exit }' "$out/console.log")
	# C module DATA sends beyond its distinct DATA packets are resends;
	# UDP receive-buffer drops are the driver's socket (the C module's
	# tunnel socket does not count there).
	rx=$(grep -m1 "^wire: STAT $name " "$out/console.log" | awk '{
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^send=/ && s == "") s = substr($i, 6)
			if ($i ~ /^nr=/ && n == "") n = substr($i, 4)
			if ($i ~ /^UDP-RcvbufErrors=/) d = substr($i, 18)
		}
		if (s != "") printf "C resent %d, UDP drops %s", s - n, d }' || true)
	rate=""
	[ -n "$t" ] && rate=$(awk -v s="$s" -v t="$t" 'BEGIN { if (t > 0) printf ", %.2f MB/s each way", s / t / 1e6 }')
	if [ -z "$line" ]; then
		echo "FAIL" "no result: guest hung or died (limit ${limit}s), see $out/console.log"
	elif [[ $line == *" PASS "* ]]; then
		echo "PASS" "${t}s wall$rate, ${rx:-no stats}"
	else
		echo "FAIL" "${line#wire: CELL $name FAIL }"
	fi
}
for dir in rs-client-to-c-server c-client-to-rs-server; do
	for s in $sizes; do
		read -r verdict detail <<< "$(row "$dir/$s" "$s")"
		cell "$verdict" "$dir/$s" "$detail"
	done
done
if [ "${WIRE_REF:-0}" = 1 ]; then
	for dir in ref-c-client-to-c-server ref-rs-client-to-rs-server; do
		for s in $sizes; do
			read -r verdict detail <<< "$(row "$dir/$s" "$s")"
			echo "REF-$verdict $dir/$s  ($detail)"
		done
	done
fi
if ! grep -q '^@@@ DMESG' "$out/console.log"; then
	cell FAIL kernel-log "no kernel log: the guest did not finish"
elif vm_note_boot_splats "$out/console.log" guest; vm_dmesg "$out/console.log" | grep -Eq "$splat_pattern"; then
	cell FAIL kernel-log "a splat in the C module's kernel log, see $out/console.log"
else
	cell PASS kernel-log
fi
if [ "$fail" -gt 0 ]; then
	echo "-- guest output:"
	grep '^wire: ' "$out/console.log" | grep -v '^wire: \(CELL\|TIME\) ' || true
fi
echo "wall time: $((SECONDS - start))s (build ${build_s}s, guest ${run_s}s)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
