# Sourced by the two-guest runners (interop.sh, openafs.sh): guest images
# with extra programs, two QEMU TCG guests joined by a private link (a QEMU
# socket netdev on host loopback), the link capture and the guest checks.
. "$(dirname "${BASH_SOURCE[0]}")/vm-lib.sh"

# add_bin ROOT PREFIX PATH...: copies each $PREFIX$PATH to $ROOT$PATH with
# the shared libraries ldd finds for it. PREFIX is "" for a host program, or
# a tree unpacked with dpkg -x, whose own libraries are searched first and
# land at their path inside the tree.
add_bin() {
	local root=$1 prefix=$2 f l dest libs
	shift 2
	for f in "$@"; do
		mkdir -p "$root$(dirname "$f")"; cp -L "$prefix$f" "$root$f"
		libs=$(LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu:$prefix/lib/x86_64-linux-gnu" \
			ldd "$prefix$f")
		if grep -q 'not found' <<<"$libs"; then
			echo "add_bin: $f needs a library that is not there:"; grep 'not found' <<<"$libs"
			return 1
		fi
		for l in $(grep -o '/[^ ]*' <<<"$libs"); do
			dest=$l
			[ -n "$prefix" ] && dest=${l#"$prefix"}
			mkdir -p "$root$(dirname "$dest")"; cp -L "$l" "$root$dest"
		done
	done
}

# tc (iproute2, for netem) is dynamically linked: copy it with its libraries.
add_tc() { # root
	command -v tc >/dev/null || return 1
	add_bin "$1" "" "$(command -v tc)"
}

# pack_image DIR: DIR/root -> DIR/initramfs.gz.
pack_image() {
	(cd "$1/root" && find . | cpio -o -H newc --quiet | gzip -1) > "$1/initramfs.gz"
}

# A free UDP port on host loopback.
free_port() {
	local p
	while :; do
		p=$((40000 + RANDOM % 20000))
		ss -Huln "sport = :$p" | grep -q . || { echo $p; return; }
	done
}

# link_ports: sets pa and pb, two different free ports for the two ends.
link_ports() {
	pa=$(free_port); pb=$(free_port)
	while [ "$pb" = "$pa" ]; do pb=$(free_port); done
}

# interop_boot DIR OWN PEER MAC LOG LIMIT [capture [snaplen]]: boots one
# guest whose eth0 is the link (UDP on 127.0.0.1, own port to the peer's);
# with a capture file, QEMU dumps the link's frames there (filter-dump),
# each cut to snaplen bytes if given.
interop_boot() {
	local dir=$1 own=$2 peer=$3 mac=$4 log=$5 limit=$6 cap=${7:-} snap=${8:-}
	local dump=()
	[ -n "$cap" ] && dump=(-object "filter-dump,id=f0,netdev=n0,file=$cap${snap:+,maxlen=$snap}")
	timeout "$limit" qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 1024 \
		-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$dir/initramfs.gz" \
		-append "console=ttyS0 loglevel=5 panic=-1 kasan.fault=report" \
		-netdev "socket,id=n0,udp=127.0.0.1:$peer,localaddr=127.0.0.1:$own" \
		-device "virtio-net-pci,netdev=n0,mac=$mac" "${dump[@]}" \
		-display none -monitor none -serial stdio -no-reboot \
		</dev/null >"$log" 2>&1
}

# rx_decode PCAP FILTER DIR PORTS_RE: the packets of PCAP that match the
# tcpdump FILTER go to DIR/cell.pcap and, decoded (tcpdump -vv), to
# DIR/decode.txt. Sets npk (packets), ntrunc (truncated: "[|rx]", or an
# AFS decoder's "[|vl]", "[|pt]" ... on a packet that holds the whole call
# body; tcpdump decodes a call's arguments from its first DATA packet
# alone, so that mark on a first packet without <last-pckt> is only the
# arguments going on in the next one) and nundec (packets to or from a
# port matching PORTS_RE, e.g. '700[0-9]', not decoded as Rx).
rx_decode() {
	local pcap=$1 filter=$2 dir=$3 ports=$4
	tcpdump -Z root -r "$pcap" -w "$dir/cell.pcap" "$filter" 2>/dev/null || true
	tcpdump -n -vv -r "$dir/cell.pcap" > "$dir/decode.txt" 2>/dev/null || true
	npk=$(grep -c 'UDP' "$dir/decode.txt" || true)
	ntrunc=$(awk '/\[\|[a-z]+\]/ && (/\[\|rx\]/ || !/ rx data / || /<last-pckt>/) { n++ }
		END { print n + 0 }' "$dir/decode.txt")
	# Rx packets decode as " rx <type>"; an Rx-port line without it is undecoded.
	nundec=$(grep -E "\.($ports)[ :>]|\.($ports)\$" "$dir/decode.txt" | grep -vc ' rx ' || true)
}

# check_guest NAME CLEANLOG PREFIX MODULE: the guest's run must have
# finished ("PREFIX: finished" and the closing marker), with MODULE loaded
# at the end ("PREFIX: modules after: ..."; none if MODULE is empty) and a
# clean kernel log. Counts into pass and fail; says why on a failure.
check_guest() {
	local g=$1 log=$2 prefix=$3 want=$4
	if [ -n "$want" ] && ! grep -q "^$prefix: modules after: .*\b$want\b" "$log"; then
		fail=$((fail + 1)); echo "FAIL guest $g: module $want was not loaded"
	fi
	if grep -q "^$prefix: finished" "$log" && grep -q '^@@@ END' "$log"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "FAIL guest $g did not finish (see ${log%/*}/console-$g.log)"
	fi
	vm_note_boot_splats "$log" "guest $g"
	if ! vm_dmesg "$log" | grep -E "$splat_pattern" > "${log%/*}/splats-$g"; then
		pass=$((pass + 1))
	elif [ "$(vm_dmesg "$log" | vm_unknown_splats)" = 0 ]; then
		pass=$((pass + 1)); echo "XFAIL guest $g kernel log: $known_splat_why"
		sed 's/^/  | /' "${log%/*}/splats-$g" | head -10
	else
		fail=$((fail + 1)); echo "FAIL guest $g kernel log not clean:"
		sed 's/^/  | /' "${log%/*}/splats-$g" | head -30
	fi
}
