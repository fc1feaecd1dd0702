#!/usr/bin/env bash
# OpenAFS interop: real OpenAFS peers (Debian bookworm's 1.8.9 packages)
# against an AF_RXRPC module. Two QEMU (TCG) guests on a private link, as
# in interop.sh: guest A (192.0.2.1) runs OpenAFS's vlserver and ptserver
# (single-server ubik, -noauth, cell rxrpc.test); guest B (192.0.2.2) loads
# the module under test and makes real RPCs with XDR-encoded arguments,
# security none (scripts/openafs/afs_rpc.c): VL probe, VL create and
# lookup of an entry, the VL_NOENT abort, PR_NameToID and PR_IDToName,
# single- and multi-packet. Then A runs OpenAFS's rxdebug against a port
# where B holds a bound AF_RXRPC socket: -version must get the module's
# version string; the statistics queries (DEBUG packets: stats, the
# connections of a call cmdebug makes meanwhile, peers and rx statistics)
# must be answered as OpenAFS servers answer them on our module, and are
# recorded only on rxrpc.ko, which does not answer them.
# Then the authenticated phase: A restarts both servers without -noauth
# and without NoAuth, with a KeyFile holding a DES key for the cell (kvno
# 3, made for each run) and admin in UserList; B calls them with rxkad at
# each level (clear, auth, crypt) with a ticket it seals with that key
# (rxrpc_ticket.h): VL create and lookup as admin (UserList), PR_NameToID
# and PR_IDToName of 10 KB as afs (the ptserver's superuser: admin is not
# in its database); a call with security none must get VL_PERM, one
# with an expired ticket RXKADEXPIRED. An rxkad row's capture must show a
# CHALLENGE, a RESPONSE and security index 2 on every DATA and ACK
# (interop/rx-rxkad.py), and, above the clear level, not the call's
# arguments in clear.
#
#   scripts/openafs.sh [both|rs|c]     (or OPENAFS_B=rs|c; default both)
#
# rs runs our rxrpc-rs.ko in guest B, c the kernel's rxrpc.ko (the
# control), both runs one after the other and tables them side by side.
# The link is captured (QEMU filter-dump) and decoded with tcpdump -vv: a
# row whose Rx packets are truncated or undecoded, or where tcpdump does
# not show the call and its answer as expected, fails. Prints a table and
# "N passed, N failed"; exits non-zero on a failure. Evidence in
# build/openafs/<impl>/.
#
# The .debs are fetched once (apt-get download, unpacked with dpkg -x,
# never installed) into ~/.cache/rxrpc-rs/openafs/<version>/.
set -euo pipefail
. "$(dirname "$0")/interop-lib.sh"

which=${1:-${OPENAFS_B:-both}}
case $which in both) impls="rs c" ;; rs|c) impls=$which ;;
	*) echo "usage: $0 [both|rs|c]"; exit 2 ;; esac
out="$top/build/openafs"
mkdir -p "$out"
start=$SECONDS

# --- OpenAFS from Debian, cached ------------------------------------------
oafs_ver=${OPENAFS_VERSION:-1.8.9-1+deb12u1}
ocache="$cache/openafs/$oafs_ver"
tree="$ocache/tree"
if [ ! -f "$tree/.done" ]; then
	echo "openafs: fetching OpenAFS $oafs_ver (.debs into ${ocache/#$HOME/\~})"
	rm -rf "$ocache"; mkdir -p "$ocache/debs" "$tree"
	# The servers and rxdebug/udebug, and the Heimdal libraries they link.
	pkgs=(openafs-dbserver="$oafs_ver" openafs-client="$oafs_ver" libhcrypto5-heimdal
	      libroken19-heimdal libasn1-8-heimdal libheimbase1-heimdal)
	if ! (cd "$ocache/debs" && apt-get download -q "${pkgs[@]}" >/dev/null 2>&1); then
		sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
		$sudo apt-get update -q >/dev/null
		(cd "$ocache/debs" && apt-get download -q "${pkgs[@]}")
	fi
	for d in "$ocache"/debs/*.deb; do dpkg -x "$d" "$tree"; done
	touch "$tree/.done"
fi

# The cell's DES key for the authenticated phase, and its version. With
# odd parity in each byte: OpenAFS's des_key_sched refuses a key without
# (RXKADBADKEY); the kernel's DES ignores the parity bits.
kadkey=$(python3 -c 'import os; print(bytes((b & 0xfe) | (bin(b & 0xfe).count("1") % 2 == 0)
	for b in os.urandom(8)).hex())')
kvno=3

# --- Tools for the guests -------------------------------------------------
gcc -O2 -Wall -static -I"$kdir/usr-headers/include" -I"$top/tools/testing/selftests/net/rxrpc" \
	-o "$out/rxrpc_xfer" "$top/scripts/interop/rxrpc_xfer.c"
gcc -O2 -Wall -static -I"$kdir/usr-headers/include" -I"$top/tools/testing/selftests/net/rxrpc" \
	-o "$out/afs_rpc" "$top/scripts/openafs/afs_rpc.c"

# openafs_image ROLE IMPL DIR MYIP PEERIP: ROLE afs (OpenAFS servers) or rx.
openafs_image() {
	local role=$1 impl=$2 dir=$3 root=$3/root
	mkdir -p "$dir"
	vm_image "$impl" openafs "$dir"
	cp "$top/scripts/openafs-guest.sh" "$root/tests/demo.sh"; chmod 755 "$root/tests/demo.sh"
	cp "$out/rxrpc_xfer" "$root/tests/"
	printf 'me=%s\nmyip=%s\npeerip=%s\nkadkey=%s\nkvno=%s\n' "$role" "$4" "$5" \
		"$kadkey" "$kvno" > "$root/etc/openafs.conf"
	if [ "$role" = afs ]; then
		add_bin "$root" "$tree" /usr/lib/openafs/vlserver /usr/lib/openafs/ptserver \
			/usr/bin/rxdebug /usr/bin/udebug /usr/bin/cmdebug
		# The Debian layout (strings in the binaries): config, databases, logs.
		# One database server, this one; NoAuth is -noauth for every server.
		local sc="$root/etc/openafs/server"
		mkdir -p "$sc" "$root/var/lib/openafs/db" "$root/var/lib/openafs/local" \
			"$root/var/log/openafs"
		echo rxrpc.test > "$sc/ThisCell"
		printf '>rxrpc.test #rxrpc-rs interop\n%s #afsdb\n' "$4" > "$sc/CellServDB"
		: > "$sc/NoAuth"
		# For the authenticated phase: the KeyFile (a count, then kvno
		# and an 8-byte DES key; big-endian) and the administrators.
		python3 -c 'import sys, struct; sys.stdout.buffer.write(struct.pack(">II", 1,
			int(sys.argv[1])) + bytes.fromhex(sys.argv[2]))' "$kvno" "$kadkey" > "$sc/KeyFile"
		echo admin > "$sc/UserList"
		printf '127.0.0.1 localhost\n%s afsdb\n' "$4" > "$root/etc/hosts"
	else
		cp "$out/afs_rpc" "$root/tests/"
	fi
	pack_image "$dir"
}

# The rows: name|what it checks|the client's UDP port (to cut the capture
# by)|what tcpdump -vv must show of the call|and of its answer|what it
# must not show (extended regexps; the last is optional). The rxdebug-*
# rows are run from A, the others from B; the rows from vl-auth-perm on
# against the servers with authentication.
rows="$out/rows.txt"
cat > "$rows" <<'EOF'
vl-probe|VL_ProbeServer (514): empty reply|20001|vldb call probe|vldb reply probe
vl-create|VL_CreateEntryN (517) under -noauth|20002|vldb call create-entry-n "rxrpc.interop"|rx data .*vldb reply create-entry-n
vl-lookup|VL_GetEntryByNameN (519): name, ids, site|20003|vldb call get-entry-by-name-n "rxrpc.interop"|vldb reply get-entry-by-name-n "rxrpc.interop" numservers 1 servers 192.0.2.1 partitions a rwvol 536870915 rovol 536870916 backup 536870917
vl-noent|VL_GetEntryByNameN, missing name: abort VL_NOENT|20004|vldb call get-entry-by-name-n "rxrpc.missing"|rx abort .*vldb reply get-entry-by-name-n errcode 363524
pt-nametoid|PR_NameToID (504): -204, 32766, -101|20005|pt call name-to-id "system:administrators" "anonymous"|pt reply name-to-id ids: -204 32766 -101 32766
pt-bulk|PR_NameToID, 40 names (10 KB request)|20006|pt call name-to-id "system:administrators"|pt reply name-to-id ids: -204 -101 -102 32766 -204
pt-idtoname|PR_IDToName (505), 40 ids (10 KB reply)|20007|pt call id-to-name ids: -204 -101 -102 32766 7004|pt reply id-to-name "system:administrators" "system:anyuser" "system:authuser" "anonymous" "7004"
rxdebug-version|rxdebug -version: the module's version string|7001|192\.0\.2\.1\.[0-9]+ > 192\.0\.2\.2\.7001: .* rx version|192\.0\.2\.2\.7001 > 192\.0\.2\.1\.[0-9]+: .* rx version
rxdebug-stats|rxdebug -noconns: statistics (DEBUG query)|7001|192\.0\.2\.1\.[0-9]+ > 192\.0\.2\.2\.7001: .* rx debug|
rxdebug-conns|rxdebug: stats, a call's connection, Done.|7001|192\.0\.2\.1\.[0-9]+ > 192\.0\.2\.2\.7001: .* rx debug|
rxdebug-rxstats|rxdebug -noconns -rxstats -peers|7001|192\.0\.2\.1\.[0-9]+ > 192\.0\.2\.2\.7001: .* rx debug|
vl-auth-perm|auth: VL_CreateEntryN, security none: VL_PERM|20011|vldb call create-entry-n "rxrpc.noauth"|rx abort .*vldb reply create-entry-n errcode 363546
vl-kad0|rxkad clear, admin: VL create + lookup|20012|vldb call create-entry-n "rxrpc.kad0"|vldb reply get-entry-by-name-n "rxrpc.kad0" numservers 1 servers 192.0.2.1 partitions a rwvol 536870921 rovol 536870922 backup 536870923
vl-kad1|rxkad auth, admin: VL create + lookup|20013| rx challenge | rx response |"rxrpc.kad1"
vl-kad2|rxkad crypt, admin: VL create + lookup|20014| rx challenge | rx response |"rxrpc.kad2"
pt-kad0|rxkad clear, afs: PR_NameToID + PR_IDToName, 10 KB|20015|pt call name-to-id "system:administrators"|pt reply id-to-name "system:administrators" "system:anyuser"
pt-kad1|rxkad auth, afs: PR_NameToID + PR_IDToName, 10 KB|20016| rx challenge | rx response |"system:administrators"
pt-kad2|rxkad crypt, afs: PR_NameToID + PR_IDToName, 10 KB|20017| rx challenge | rx response |"system:administrators"
vl-kad-expired|rxkad, expired ticket: RXKADEXPIRED|20018| rx response | rx abort
EOF

# rxdebug_why ROW RESULT: what rxdebug's output (lines joined by |) lacks
# of what OpenAFS's rxdebug prints for our answers (nothing: all there).
# The stats come before and during cmdebug's call, which the listener
# (one charge) takes and never answers.
rxdebug_why() {
	local re why="" stats='Free packets: 0/0, packet reclaims: 0, calls: %s, used FDs: 0\|not waiting for packets\.\|0 calls waiting for a thread\|%s threads are idle\|%s calls have waited for a thread\|'
	local -a want=("^exit 0: Trying 192\.0\.2\.2 \(port 7001\):\|")
	case $1 in
	rxdebug-stats) want+=("$(printf "$stats" 0 1 0)") ;;
	rxdebug-conns) want+=("$(printf "$stats" 1 0 0)"
		"\|Connection from host 192\.0\.2\.1, port [0-9]+, Cuid [0-9a-f]+/[0-9a-f]+\|  serial [0-9]+,  natMTU 1444, security index 0, server conn\|"
		"\|    call 0: # 1, state active, mode: (sending|receiving)[^|]*\|    call 1: # 0, state not initialized\|"
		"\|Done\.\|$") ;;
	rxdebug-rxstats) want+=("\|rx stats: free packets 0, "
		"\|   packets read: data [1-9][0-9]* ack [0-9]+ "
		"\|   1 server connections, 0 client connections, 1 peer structs, 1 call structs, "
		"\|Peer at host 192\.0\.2\.1, port [0-9]+\|	ifMTU 1444	natMTU 1444	maxMTU 1444\|"
		"\|Done\.\|$") ;;
	esac
	for re in "${want[@]}"; do
		grep -Eq -- "$re" <<<"$2" || why="${why:+$why; }no \"$re\""
	done
	echo "$why"
}

# run_pair IMPL: boots A and B (B with IMPL), then judges each row into
# $out/IMPL/results.txt ("row PASS|FAIL|INFO detail").
run_pair() {
	local impl=$1 o=$out/$1
	rm -rf "$o"; mkdir -p "$o/rows"
	openafs_image afs c "$o/vm-afs" 192.0.2.1 192.0.2.2
	openafs_image rx "$impl" "$o/vm-rx" 192.0.2.2 192.0.2.1
	link_ports
	echo "openafs[$impl]: guest B runs $([ "$impl" = rs ] && echo rxrpc-rs.ko || echo rxrpc.ko); link 127.0.0.1:$pa <-> :$pb"
	local t0=$SECONDS sa=0 sb=0 qa qb
	interop_boot "$o/vm-afs" "$pa" "$pb" 52:54:00:00:03:01 "$o/console-afs.log" 600 \
		"$o/link.pcap" & qa=$!
	interop_boot "$o/vm-rx" "$pb" "$pa" 52:54:00:00:03:02 "$o/console-rx.log" 600 & qb=$!
	wait $qa || sa=$?
	wait $qb || sb=$?
	echo "openafs[$impl]: guests ran $((SECONDS - t0)) s (qemu exit: afs=$sa rx=$sb)"
	vm_clean_log "$o/console-afs.log" > "$o/clean-afs.log"
	vm_clean_log "$o/console-rx.log" > "$o/clean-rx.log"
	: > "$o/results.txt"

	local name what port callre replyre notre re res why d ver answer lvl
	while IFS='|' read -r name what port callre replyre notre; do
		d="$o/rows/$name"; mkdir -p "$d"
		res=$(grep -h "^@@@ ROW $name RESULT " "$o/clean-afs.log" "$o/clean-rx.log" | head -1 |
			cut -d' ' -f5- || true)
		grep -h "^openafs: $name: " "$o/clean-rx.log" > "$d/result" || true
		echo "guest: ${res:-no result}" >> "$d/result"
		why=""
		case $name in
		rxdebug-version)
			ver=$(sed -n 's/.*AFS version: \([^|]*\).*/\1/p' <<<"$res")
			echo "version: ${ver:-none}" >> "$d/result"
			if [ -z "$ver" ]; then why="no version answer: ${res:-no result}"
			elif [ "$impl" = rs ] && [ "$ver" != rxrpc-rs ]; then why="version \"$ver\", expected \"rxrpc-rs\""
			elif [ "$impl" = c ] && ! [[ $ver == linux-*" AF_RXRPC" ]]; then
				why="version \"$ver\", expected \"linux-<release> AF_RXRPC\""
			fi
			res="ok AFS version: $ver" ;;
		rxdebug-stats|rxdebug-conns|rxdebug-rxstats)
			[ "$impl" = rs ] && why=$(rxdebug_why "$name" "$res") ;;
		*)
			case $res in "ok "*) ;; *) why="${res:-no result}" ;; esac ;;
		esac
		if [ -f "$o/link.pcap" ]; then
			rx_decode "$o/link.pcap" "udp port $port" "$d" '700[0-9]'
			echo "capture: $npk packets, $ntrunc truncated, $nundec undecoded" >> "$d/result"
			# Above the clear level the AFS payload is sealed: tcpdump's
			# AFS decoders read garbage and may stop short ([|vldb]).
			case $name in *-kad[12]) ntrunc=0 ;; esac
			if [ "$impl" = rs ] || [[ $name != rxdebug-[scr]* ]]; then
				[ "$ntrunc" -gt 0 ] && why="${why:+$why; }capture: $ntrunc truncated Rx packet(s)"
				[ "$nundec" -gt 0 ] && why="${why:+$why; }capture: $nundec undecoded packet(s)"
				[ "$npk" -eq 0 ] && why="${why:+$why; }capture: no packets"
			fi
			for re in "$callre" "$replyre"; do
				if [ -n "$re" ] && ! grep -Eq "$re" "$d/decode.txt"; then
					why="${why:+$why; }capture: tcpdump -vv shows no \"$re\""
				fi
			done
			if [ -n "$notre" ] && grep -Eq "$notre" "$d/decode.txt"; then
				why="${why:+$why; }capture: tcpdump -vv shows \"$notre\" in clear"
			fi
			python3 "$top/scripts/interop/rx-aborts.py" "$d/cell.pcap" "$port" \
				> "$d/aborts.txt" 2>/dev/null || true
			cat "$d/aborts.txt" >> "$d/result"
			case $name in *-kad*)
				case $name in *-expired) lvl=2 ;; *) lvl=${name##*-kad} ;; esac
				python3 "$top/scripts/interop/rx-rxkad.py" "$d/cell.pcap" "$port" "$lvl" 0 \
					> "$d/rxkad.txt" 2>&1 ||
					why="${why:+$why; }wire: $(sed 's/.*; FAIL //' "$d/rxkad.txt" | head -1)"
				cat "$d/rxkad.txt" >> "$d/result" ;;
			esac
		fi
		if [[ $name == rxdebug-[scr]* ]]; then
			# What B sent back on the wire: a DEBUG answer, an ABORT (rxdebug
			# takes any packet of its call number as the answer and prints
			# what it decodes from it), or nothing.
			answer=none
			grep -Eq '192\.0\.2\.2\.7001 > .* rx abort' "$d/decode.txt" && answer=abort
			grep -Eq '192\.0\.2\.2\.7001 > .* rx debug' "$d/decode.txt" && answer=answer
			echo "rxdebug: $res" >> "$d/result"
			if [ "$impl" = c ]; then
				echo "$name INFO $answer: rxdebug said: ${res:0:300}" >> "$o/results.txt"
			elif [ "$answer" != answer ]; then
				echo "$name FAIL no DEBUG answer on the wire ($answer); $why" >> "$o/results.txt"
			elif [ -n "$why" ]; then
				echo "$name FAIL $why" >> "$o/results.txt"
			else
				echo "$name PASS ${res:0:160}" >> "$o/results.txt"
			fi
		elif [ -z "$why" ]; then
			echo "$name PASS ${res#ok }" >> "$o/results.txt"
		else
			echo "$name FAIL $why" >> "$o/results.txt"
		fi
	done < "$rows"

	# Both guests finished, clean kernel logs (counted into pass and fail).
	local want_mod=rxrpc_rs; [ "$impl" = c ] && want_mod=rxrpc
	check_guest afs "$o/clean-afs.log" openafs "" > "$o/guests.txt"
	check_guest rx "$o/clean-rx.log" openafs $want_mod >> "$o/guests.txt"
	grep -h '^openafs: servers:' "$o/clean-afs.log" | sed "s/^openafs:/  [afs]/" || true
}

pass=0 fail=0
echo "openafs: rxrpc-rs.ko sha256 $(sha256sum "$top/rxrpc-rs.ko" | cut -c1-16), built $(date -u -r "$top/rxrpc-rs.ko" +%FT%TZ); OpenAFS $oafs_ver"
for impl in $impls; do run_pair "$impl"; done

# --- The table ---------------------------------------------------------------
echo
printf '%-16s %-54s' row checks
for impl in $impls; do printf ' %-6s' "$impl"; done
echo
while IFS='|' read -r name what port callre replyre notre; do
	printf '%-16s %-54s' "$name" "$what"
	for impl in $impls; do
		# PASS or FAIL; an INFO row shows what it found.
		printf ' %-6s' "$(awk -v n="$name" '$1 == n { print ($2 == "INFO" ? $3 : $2) }' \
			"$out/$impl/results.txt" | tr -d :)"
	done
	echo
done < "$rows"
echo
for impl in $impls; do
	while read -r name res detail; do
		case $res in
		PASS) pass=$((pass + 1)); echo "  [$impl] $name: $detail" ;;
		FAIL) fail=$((fail + 1)); echo "  [$impl] $name: FAIL $detail" ;;
		INFO) echo "  [$impl] $name: $detail" ;;
		esac
	done < "$out/$impl/results.txt"
	sed "s/^/  [$impl] /" "$out/$impl/guests.txt"
done
echo "openafs: evidence in ${out#$top/}/<impl>/rows/<row>/ (result, decode.txt: tcpdump -vv, cell.pcap), console-{afs,rx}.log"
echo "openafs: OpenAFS $oafs_ver; total wall time $((SECONDS - start)) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
