#!/usr/bin/env bash
# kAFS end to end: the kernel's AFS client (kafs.ko, from our kernel build)
# on an AF_RXRPC module, against a real OpenAFS cell (Debian bookworm's
# 1.8.9 packages). Two QEMU (TCG) guests on a private link, as in
# openafs.sh: guest A (192.0.2.1) is a one-host cell, -noauth: vlserver,
# ptserver and the demand-attach fileserver (dafileserver, davolserver,
# salvageserver), /vicepa, root.afs and root.cell (its ACL opened to
# system:anyuser, no quota), the fileserver registered in the VLDB. A also
# mounts the cell with kafs.ko on the C rxrpc.ko, to be the other client
# whose change makes the fileserver break guest B's callback. Guest B
# (192.0.2.2) loads kafs.ko on the module under test and checks: modprobe
# kafs, mount, ls, mkdir, create, 32 MiB written and read back byte-exact,
# rename, unlink, a server-side change seen through a callback break, the
# dynamic root, and umount + rmmod of kafs and the rxrpc module.
#
#   scripts/kafs.sh [both|rs|c]     (or KAFS_B=rs|c; default both)
#
# rs runs our rxrpc-rs.ko in guest B (the image holds it and not rxrpc.ko;
# depmod resolves kafs.ko against whatever exports the symbols), c the
# kernel's rxrpc.ko. A check not run because one it needs failed is SKIP
# and counts as failed. A KASAN, lockdep, WARN, BUG or oops in either
# guest's kernel log from /init on fails the run (vm-lib.sh). Prints
# PASS/FAIL/SKIP lines and "N passed, N failed"; exits non-zero on a
# failure. Evidence in build/kafs/<impl>/ (console-{afs,kafs}.log).
#
# The .debs are fetched once (apt-get download, unpacked with dpkg -x,
# never installed) into ~/.cache/rxrpc-rs/kafs/openafs-<version>/.
set -euo pipefail
. "$(dirname "$0")/interop-lib.sh"

which=${1:-${KAFS_B:-both}}
case $which in both) impls="c rs" ;; rs|c) impls=$which ;;
	*) echo "usage: $0 [both|rs|c]"; exit 2 ;; esac
out="$top/build/kafs"
mkdir -p "$out"
start=$SECONDS
cell=rxrpc.test afsip=192.0.2.1 kafsip=192.0.2.2
# Each guest's wall-clock limit: the guest's own waits are bounded well
# within it; this only stops a guest that hangs outright.
limit=${KAFS_LIMIT:-1500}
# How long guest B may run on once guest A is done (A's waits for B are
# bounded; B, which runs the checks, normally ends within seconds of A).
grace=${KAFS_GRACE:-180}

# --- OpenAFS from Debian, cached ------------------------------------------
# Its own cache directory: openafs.sh's holds fewer packages and refetches
# on its own terms.
oafs_ver=${OPENAFS_VERSION:-1.8.9-1+deb12u1}
ocache="$cache/kafs/openafs-$oafs_ver"
tree="$ocache/tree"
if [ ! -f "$tree/.done" ]; then
	echo "kafs: fetching OpenAFS $oafs_ver (.debs into ${ocache/#$HOME/\~})"
	rm -rf "$ocache"; mkdir -p "$ocache/debs" "$tree"
	# Database and file servers, vos/udebug (client), the Heimdal
	# libraries they link.
	pkgs=(openafs-dbserver="$oafs_ver" openafs-fileserver="$oafs_ver" openafs-client="$oafs_ver"
	      libhcrypto5-heimdal libroken19-heimdal libasn1-8-heimdal libheimbase1-heimdal)
	if ! (cd "$ocache/debs" && apt-get download -q "${pkgs[@]}" >/dev/null 2>&1); then
		sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
		$sudo apt-get update -q >/dev/null
		(cd "$ocache/debs" && apt-get download -q "${pkgs[@]}")
	fi
	for d in "$ocache"/debs/*.deb; do dpkg -x "$d" "$tree"; done
	touch "$tree/.done"
fi

# --- Tools for the guests -------------------------------------------------
gcc -O2 -Wall -static -I"$kdir/usr-headers/include" -I"$top/tools/testing/selftests/net/rxrpc" \
	-o "$out/rxrpc_xfer" "$top/scripts/interop/rxrpc_xfer.c"
gcc -O2 -Wall -static -o "$out/patchacl" "$top/scripts/kafs/patchacl.c"
gcc -O2 -Wall -static -o "$out/request-key" "$top/scripts/kafs/request-key.c"

kafs_ko="$kmods/lib/modules/$krel/kernel/fs/afs/kafs.ko"
[ -f "$kafs_ko" ] || { echo "kafs: no kafs.ko in $kmods (CONFIG_AFS_FS=m)"; exit 1; }

# kafs_image ROLE IMPL DIR MYIP PEERIP: ROLE afs (the cell, and kafs on the
# C module) or kafs (kafs.ko on IMPL).
kafs_image() {
	local role=$1 impl=$2 dir=$3 root=$3/root
	mkdir -p "$dir"
	vm_image "$impl" kafs "$dir"
	local mdir="$root/lib/modules/$krel"
	if [ "$impl" = rs ]; then
		# vm_image leaves kafs.ko out of an rs image: put it back and let
		# depmod bind it to whatever exports the rxrpc_kernel_* symbols.
		mkdir -p "$mdir/kernel/fs/afs"; cp "$kafs_ko" "$mdir/kernel/fs/afs/"
		# KAFS_RS_KO: another module in its place, to try this script
		# on one that does not export the kernel API.
		[ -n "${KAFS_RS_KO:-}" ] && cp "$KAFS_RS_KO" "$mdir/extra/rxrpc-rs.ko"
		depmod -b "$root" "$krel"
		if find "$mdir" -name rxrpc.ko | grep -q .; then
			echo "kafs: the rs image holds rxrpc.ko"; return 1
		fi
	fi
	cp "$top/scripts/kafs-guest.sh" "$root/tests/demo.sh"; chmod 755 "$root/tests/demo.sh"
	cp "$out/rxrpc_xfer" "$root/tests/"
	printf 'me=%s\nmyip=%s\npeerip=%s\ncell=%s\nafsip=%s\n' "$role" "$4" "$5" "$cell" "$afsip" \
		> "$root/etc/kafs.conf"
	mkdir -p "$root/mnt"
	# kAFS asks the DNS for the cell's VL servers (a dns_resolver key):
	# our upcall answers from this file.
	cp "$out/request-key" "$root/sbin/request-key"
	echo "$cell $afsip" > "$root/etc/kafs-cells"
	if [ "$role" = afs ]; then
		add_bin "$root" "$tree" /usr/lib/openafs/vlserver /usr/lib/openafs/ptserver \
			/usr/lib/openafs/dafileserver /usr/lib/openafs/davolserver \
			/usr/lib/openafs/salvageserver /usr/lib/openafs/dasalvager \
			/usr/bin/vos /usr/bin/udebug /usr/bin/rxdebug
		cp "$out/patchacl" "$root/tests/"
		# The Debian layout (strings in the binaries): config, databases,
		# logs. One host is the cell; NoAuth is -noauth for every server.
		# The client config (/etc/openafs) is for vos.
		local sc="$root/etc/openafs/server"
		mkdir -p "$sc" "$root/var/lib/openafs/db" "$root/var/lib/openafs/local" \
			"$root/var/log/openafs" "$root/vicepa"
		echo "$cell" > "$sc/ThisCell"
		printf '>%s #rxrpc-rs kafs test\n%s #afsdb\n' "$cell" "$4" > "$sc/CellServDB"
		: > "$sc/NoAuth"
		cp "$sc/ThisCell" "$sc/CellServDB" "$root/etc/openafs/"
		# A plain directory is a partition with AlwaysAttach in it.
		: > "$root/vicepa/AlwaysAttach"
		# The fileserver wants its host name on a non-loopback address.
		printf '127.0.0.1 localhost\n%s afsdb\n' "$4" > "$root/etc/hosts"
	fi
	pack_image "$dir"
}

# kafs_boot DIR OWN PEER MAC LOG [capture]: interop_boot with 2 GiB (the
# cell holds the 32 MiB file in memory, and KASAN's shadow).
kafs_boot() {
	local dir=$1 own=$2 peer=$3 mac=$4 log=$5 cap=${6:-}
	local dump=()
	[ -n "$cap" ] && dump=(-object "filter-dump,id=f0,netdev=n0,file=$cap")
	timeout "$limit" qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 2048 \
		-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$dir/initramfs.gz" \
		-append "console=ttyS0 loglevel=5 panic=-1 kasan.fault=report" \
		-netdev "socket,id=n0,udp=127.0.0.1:$peer,localaddr=127.0.0.1:$own" \
		-device "virtio-net-pci,netdev=n0,mac=$mac" "${dump[@]}" \
		-display none -monitor none -serial stdio -no-reboot \
		</dev/null >"$log" 2>&1
}

# The checks, in order: where each runs, and what it checks.
checks="$out/checks.txt"
cat > "$checks" <<'EOF'
cell|afs|OpenAFS cell up: servers, root.afs/root.cell, VLDB addrs, open ACL
modprobe|kafs|modprobe kafs on the module under test
mount|kafs|mount -t afs %cell:root.cell
ls-root|kafs|list the volume root
mkdir|kafs|mkdir
create|kafs|create and read back a small file
big-32m|kafs|32 MiB written, caches dropped, read back byte-exact
rename|kafs|rename in a directory and across directories
unlink|kafs|unlink a file, rmdir
cb-prep|kafs|create and cache the callback file
callback|kafs|a change by guest A's client seen after the callback break
dynroot|kafs|mount -o dyn, ls /afs/<cell>/ automounts
unload|kafs|umount, rmmod kafs and the rxrpc module, nothing left
EOF

pass=0 fail=0 qa="" qb=""
declare -A took
trap 'exit 143' TERM INT	# so that the EXIT trap (run_pair's) runs
# run_pair IMPL: boots A and B (B with IMPL), then judges each check into
# $out/IMPL/results.txt ("name PASS|FAIL|SKIP detail").
run_pair() {
	local impl=$1 o=$out/$1
	rm -rf "$o"; mkdir -p "$o"
	kafs_image afs c "$o/vm-afs" "$afsip" "$kafsip"
	kafs_image kafs "$impl" "$o/vm-kafs" "$kafsip" "$afsip"
	link_ports
	echo "kafs[$impl]: guest B runs kafs.ko on $([ "$impl" = rs ] && echo rxrpc-rs.ko || echo rxrpc.ko); link 127.0.0.1:$pa <-> :$pb; limit $limit s"
	local t0=$SECONDS sa=0 sb=0
	# If this script is stopped, so are its guests (timeout passes the
	# signal on to QEMU).
	trap 'kill $qa $qb 2>/dev/null' EXIT
	kafs_boot "$o/vm-afs" "$pa" "$pb" 52:54:00:00:04:01 "$o/console-afs.log" "$o/link.pcap" & qa=$!
	kafs_boot "$o/vm-kafs" "$pb" "$pa" 52:54:00:00:04:02 "$o/console-kafs.log" & qb=$!
	wait $qa || sa=$?
	# A's waits for B are bounded, so once A is done B has finished, or is
	# hung (a guest kernel spinning in softirq or a worker starves its
	# shell): allow it $grace s more.
	local ta=$SECONDS
	while kill -0 $qb 2>/dev/null && [ $((SECONDS - ta)) -lt "$grace" ]; do sleep 1; done
	if kill -0 $qb 2>/dev/null; then
		echo "kafs[$impl]: guest B still running $grace s after guest A finished: stopped"
		kill $qb 2>/dev/null || true
	fi
	wait $qb || sb=$?
	trap - EXIT
	took[$impl]=$((SECONDS - t0))
	echo "kafs[$impl]: guests ran ${took[$impl]} s (qemu exit: afs=$sa kafs=$sb; 124 is the time limit)"
	vm_clean_log "$o/console-afs.log" > "$o/clean-afs.log"
	vm_clean_log "$o/console-kafs.log" > "$o/clean-kafs.log"
	: > "$o/results.txt"
	local name where what res amd5 bmd5 stuck=""
	while IFS='|' read -r name where what; do
		res=$(grep -h "^@@@ CHECK $name " "$o/clean-$where.log" | head -1 | cut -d' ' -f4- || true)
		# The first check without a result is where the guest stopped.
		if [ -z "$res" ] && [ -z "$stuck" ]; then
			stuck=$name
			res="FAIL no result: guest $where stopped answering in this check (see console-$where.log)"
		elif [ -z "$res" ]; then
			res="SKIP not run: guest $where stopped answering in $stuck"
		fi
		# The 32 MiB file as guest A's client read it from the fileserver.
		if [ "$name" = big-32m ] && [[ $res == PASS* ]]; then
			amd5=$(sed -n 's/.*@@@ INFO a-md5 //p' "$o/clean-afs.log" | head -1)
			bmd5=$(sed -n 's/.*@@@ INFO b-md5 //p' "$o/clean-kafs.log" | head -1)
			if [ -n "$amd5" ] && [ "$amd5" != "$bmd5" ]; then
				res="FAIL guest A reads md5 $amd5, B wrote $bmd5"
			elif [ -n "$amd5" ]; then
				res="$res; guest A reads the same"
			fi
		fi
		# B must have seen the change through a callback break: the
		# fileserver's CB_CallBack to B's cache manager is in the capture
		# (not, say, a revalidation of B's own).
		if [ "$name" = callback ] && [[ $res == PASS* ]]; then
			local ncb
			ncb=$(tcpdump -n -vv -r "$o/link.pcap" "dst host $kafsip and udp dst port 7001" 2>/dev/null |
				grep -c ' cb call callback ' || true)
			if [ "$ncb" -eq 0 ]; then
				res="FAIL B saw the change, but the capture holds no CB_CallBack to $kafsip:7001"
			else
				res="$res; capture: $ncb CB_CallBack call(s) to B"
			fi
		fi
		# The callback check needs A's side: say when that failed.
		if [ "$name" = callback ] && [[ $res != PASS* ]]; then
			local st
			st=$(grep -h '^@@@ STEP a-' "$o/clean-afs.log" | grep -v ' PASS ' | head -1 || true)
			[ -n "$st" ] && res="$res [guest A: ${st#@@@ STEP }]"
		fi
		echo "$name $res" >> "$o/results.txt"
	done < "$checks"
	# Both guests finished, clean kernel logs (counted into pass and fail).
	check_guest afs "$o/clean-afs.log" kafs "" > "$o/guests.txt" || true
	check_guest kafs "$o/clean-kafs.log" kafs "" >> "$o/guests.txt" || true
}

echo "kafs: rxrpc-rs.ko sha256 $(sha256sum "$top/rxrpc-rs.ko" | cut -c1-16), built $(date -u -r "$top/rxrpc-rs.ko" +%FT%TZ); kafs.ko and rxrpc.ko from $krel; OpenAFS $oafs_ver${KAFS_RS_KO:+; rs runs KAFS_RS_KO=$KAFS_RS_KO instead}"
for impl in $impls; do
	fail0=$fail pass0=$pass
	run_pair "$impl"
	echo
	while read -r name res detail; do
		case $res in
		PASS) pass=$((pass + 1)) ;;
		*) fail=$((fail + 1)) ;;
		esac
		printf '%-4s [%s] %-9s %s\n' "$res" "$impl" "$name" "$detail"
	done < "$out/$impl/results.txt"
	# check_guest (in run_pair) counted its four (each guest finished, each
	# kernel log clean) and printed a FAIL line for each failed one.
	g_fail=$(grep -c '^FAIL' "$out/$impl/guests.txt" || true)
	[ "$g_fail" -lt 4 ] && echo "PASS [$impl] guests    $((4 - g_fail)) of 4: A and B finished, kernel logs clean from /init on"
	sed "s/^FAIL /FAIL [$impl] /; s/^NOTE /NOTE [$impl] /" "$out/$impl/guests.txt" | grep -v '^  |' || true
	grep -h '^  |' "$out/$impl/guests.txt" || true
	echo "kafs[$impl]: $((pass - pass0)) passed, $((fail - fail0)) failed in ${took[$impl]} s"
	echo
done
for impl in $impls; do echo "kafs: time [$impl] ${took[$impl]} s (both guests, boot to power-off)"; done
echo "kafs: evidence in ${out#$top/}/<impl>/ (console-{afs,kafs}.log, link.pcap); total wall time $((SECONDS - start)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
