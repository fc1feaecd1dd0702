#!/usr/bin/env bash
# make bench: our module against the C rxrpc.ko, measured in the same run.
# Boots guests with rxrpc.ko and with rxrpc-rs.ko, in the order c rs rs c,
# each running scripts/bench/rxrpc_bench.c over IPv4 loopback (a service
# and a client in two processes: small calls in a row, 16, 64 and 256
# calls at once, a bulk request, a bulk reply; small and bulk calls again
# over rxkad at each level, plain, auth and encrypt; calls to the kernel's
# rxperf.ko server; and what an empty recvmsg costs; with BENCH_FULL=1 the
# scale rows too: 64 MiB bulk, 1,000 calls on one socket, bulk under 2%
# loss and under reordering (netem on lo), small calls beside 1 to 1,000
# calls held open, kernel memory per idle connection and per active call,
# 10,000 connections in a row, and bulk between two guests on a link),
# and prints a table:
# each figure's median (min-max) over the runs on C and on ours, and the
# ratio ours/C. A benchmark reports; it fails on nothing but errors (a
# wrong byte, an abort, a hung guest, a kernel splat), never on a figure.
#
#   VARIANT=release scripts/bench.sh   (make bench; the kernel and our
#                                       module for it must be built)
#   scripts/bench.sh --table           the table again, from the last run
#
# VARIANT (env.sh) is the kernel: make bench runs the release one (no
# KASAN, lockdep; -O2) unless BENCH_VARIANT=debug. Every module the guests
# load comes from that kernel's tree (rxrpc.ko, rxperf.ko) or was built
# for it (rxrpc-rs.ko: build/release-module/ for release).
#
# Knobs (environment): BENCH_RUNS (counted runs per measurement per guest,
# 5), BENCH_SMALL (calls per small run, 400), BENCH_ROUNDS (64-call rounds
# per parallel run, 5; parallel16 and parallel256 make as many calls,
# rounded up to whole rounds), BENCH_MIB (bulk size, 16), BENCH_KAD_MIB
# (the rxkad bulk size, 16), BENCH_ONLY (a comma list of small, parallel,
# bulk_req, bulk_reply, recv_empty, parallel16, parallel256,
# kad_{plain,auth,encrypt}_{small,bulk_req,bulk_reply}, rxperf_small,
# rxperf_bulk_req, rxperf_bulk_reply; all these by default; and the scale
# rows bulk64_{req,reply}, parallel1000, {loss,reorder}_bulk_{req,reply},
# open{1,10,100,1000}, mem_conns, mem_calls, conns, link_bulk_{req,reply},
# "scale" for all of them), BENCH_FULL (1: all rows), BENCH_ORDER (the
# guests, "c rs rs c"), BENCH_RECV (bytes of buffer per recvmsg in the
# calls, 1 MiB), BENCH_WAIT (how the calls' readers wait: poll, the
# default, waits in poll() before each recvmsg, as an event loop does;
# recvmsg blocks in recvmsg instead), BENCH_VM_LIMIT (seconds per guest, 900; 1800 with scale
# rows), BENCH_OUT (build/bench: console logs and the program's output,
# per guest). The scale rows' knobs: BENCH_BIG_MIB (bulk64's size, 64),
# BENCH_LOSS_MIB (loss and reordering bulk, 16), BENCH_CONNS (10000),
# BENCH_SCALE (N of mem_conns and mem_calls, 1000), BENCH_HEAVY_RUNS (runs
# per guest of loss, reorder, mem and conns, 1). The link rows boot two
# guests of one module at once (interop-lib.sh's link), in the same order,
# with the link's MTU BENCH_LINK_MTU (1500; 9000 for jumbo frames);
# BENCH_LINK_SERVICE=c|rs runs every service guest on that module;
# BENCH_LINK_PCAP=1 keeps the service guest's frames, cut to 400 bytes,
# in DIR/service/link.pcap (scripts/bench/link-pcap.py summarises one).
# BENCH_ICOUNT=N (3 is a good value): the loopback guests count time in
# instructions (QEMU -icount shift=N,sleep=off), so that the figures are
# the instructions each implementation executes, the same from run to run
# (within 1%) whatever else the host runs; BENCH_PROF=<us>: a profile of
# the guest's kernel over the whole run, sampled that often
# (scripts/bench/prof.c; cpu-clock, which counts instructions under
# BENCH_ICOUNT), printed as "prof" lines in each guest's console.log;
# BENCH_PROF_CALLERS=1 adds who called the kernel's copy and clear
# functions ("profcall" lines; unwinding slows the guest a lot);
# BENCH_PROF_SYM=<part of a symbol> its samples by offset ("profoff"
# lines, for `objdump -d` of the module). BENCH_LO_MTU: the loopback
# device's MTU in the guests (1500: no jumbos, one DATA a datagram, as
# on a 1500-byte link).
#
# Under QEMU TCG without KVM absolute figures are far from real hardware
# and move with the host's load; the ratios are the point. A guest whose
# kernel splats while it boots, before the module loads (seen under TCG on
# a loaded host with the debug kernel; lockdep then turns itself off,
# which speeds the guest up), is booted once more and its figures do not
# count.
set -euo pipefail
. "$(dirname "$0")/interop-lib.sh"

out=${BENCH_OUT:-$top/build/bench}
runs=${BENCH_RUNS:-5}
small=${BENCH_SMALL:-400}
rounds=${BENCH_ROUNDS:-5}
mib=${BENCH_MIB:-16}
kad_mib=${BENCH_KAD_MIB:-16}
big_mib=${BENCH_BIG_MIB:-64}
loss_mib=${BENCH_LOSS_MIB:-16}
# The link's MTU (9000: jumbo frames, which carry our jumbo packets).
link_mtu=${BENCH_LINK_MTU:-1500}
# The service guest's module on the link (c or rs): by default the
# client's, so that a row compares module pairs; one module for both
# columns compares clients against the same peer.
link_service=${BENCH_LINK_SERVICE:-}
case $link_service in ''|c|rs) ;; *) echo "bench: BENCH_LINK_SERVICE is c or rs"; exit 1 ;; esac
case ${BENCH_WAIT:-poll} in poll|recvmsg) ;; *) echo "bench: BENCH_WAIT is poll or recvmsg"; exit 1 ;; esac
nconns=${BENCH_CONNS:-10000}
scale=${BENCH_SCALE:-1000}
heavy_runs=${BENCH_HEAVY_RUNS:-1}
all=small,parallel,bulk_req,bulk_reply,recv_empty,parallel16,parallel256
for l in plain auth encrypt; do all+=,kad_${l}_small,kad_${l}_bulk_req,kad_${l}_bulk_reply; done
all+=,rxperf_small,rxperf_bulk_req,rxperf_bulk_reply
# Scale, memory, loss and the link: long (about 20 minutes more), so only
# with BENCH_FULL=1 or named in BENCH_ONLY ("scale" names them all).
scale_rows=bulk64_req,bulk64_reply,parallel1000,loss_bulk_req,loss_bulk_reply
scale_rows+=,reorder_bulk_req,reorder_bulk_reply,open1,open10,open100,open1000
scale_rows+=,mem_conns,mem_calls,conns,link_bulk_req,link_bulk_reply
[ "${BENCH_FULL:-0}" = 1 ] && all+=,$scale_rows
only=${BENCH_ONLY:-$all}
only=$(sed -e "s/\(^\|,\)scale\(,\|$\)/\1$scale_rows\2/" <<< "$only")
# The rows of one guest on loopback, and those of two guests on a link.
lo_only=$(tr ',' '\n' <<< "$only" | grep -v '^link_' | paste -sd, - || true)
link_only=$(tr ',' '\n' <<< "$only" | grep '^link_' | paste -sd, - || true)
order=${BENCH_ORDER:-"c rs rs c"}
# Seconds per guest: 900, or 1800 with scale rows (conns alone can take minutes).
case ,$only, in
*,bulk64_*|*,parallel1000,*|*,loss_*|*,reorder_*|*,open1*|*,mem_*|*,conns,*|*,link_*) limit=${BENCH_VM_LIMIT:-1800} ;;
*) limit=${BENCH_VM_LIMIT:-900} ;;
esac
start=$SECONDS
load() { cut -d' ' -f1-3 /proc/loadavg; }
status=0
declare -A vals stat
guest_s=()

if [ "${1:-}" = --table ]; then
	[ -e "$out/params" ] || { echo "bench: no run in $out"; exit 1; }
	. "$out/params"
else
rm -rf "$out"; mkdir -p "$out"
printf 'runs=%s\nmib=%s\nkad_mib=%s\norder="%s"\nVARIANT=%s\nkdir="%s"\n' \
	"$runs" "$mib" "$kad_mib" "$order" "$VARIANT" "$kdir" > "$out/params"
printf 'heavy_runs=%s\nbig_mib=%s\nloss_mib=%s\nnconns=%s\nscale=%s\nonly=%s\n' \
	"$heavy_runs" "$big_mib" "$loss_mib" "$nconns" "$scale" "$only" >> "$out/params"
printf 'BENCH_ICOUNT=%s\nBENCH_WAIT=%s\n' "${BENCH_ICOUNT:-}" "${BENCH_WAIT:-poll}" >> "$out/params"

# --- The program: static, like the kselftests ------------------------------
[ -f "$kdir/.rxrpc-rs-built" ] || { echo "bench: no $VARIANT kernel (make kernel VARIANT=$VARIANT)"; exit 1; }
[ -e "$kdir/usr-headers/include/linux/rxrpc.h" ] ||
	"${kmake[@]}" -s headers_install INSTALL_HDR_PATH="$kdir/usr-headers" >/dev/null
gcc -O2 -Wall -Werror -static -I"$kdir/usr-headers/include" \
	-I"$top/tools/testing/selftests/net/rxrpc" \
	-o "$out/rxrpc_bench" "$top/scripts/bench/rxrpc_bench.c"
if readelf -l "$out/rxrpc_bench" | grep -q 'program interpreter'; then
	echo "bench: $out/rxrpc_bench is not statically linked"; exit 1
fi
[ -e "$rsko" ] || { echo "bench: no $rsko (make module VARIANT=$VARIANT)"; exit 1; }
# The guests time with the TSC, which under TCG is the host's: its rate,
# measured here against a clock that keeps time (see rxrpc_bench.c).
tsc_mhz=$("$out/rxrpc_bench" -T)
# BENCH_ICOUNT=N: the guests count time in instructions (QEMU -icount
# shift=N, sleep=off: 2^N ns each, an idle guest skips ahead), so that the
# figures measure the instructions each implementation executes, whatever
# else the host runs. The TSC then ticks at 1 GHz of that virtual time.
icount=
if [ -n "${BENCH_ICOUNT:-}" ]; then
	tsc_mhz=1000
	icount="-icount shift=$BENCH_ICOUNT,sleep=off"
fi
# vm_boot, with that rate and tsc=reliable on the kernel command line. On
# its own the guest kernel picks its clocksource by luck: on a loaded host
# it fails to calibrate the TSC, or its watchdog (refined-jiffies, which
# loses ticks under load) marks the TSC unstable, and it falls back to
# refined-jiffies: a 4 ms clock for the modules' timers too. A guest of
# each kind on one run would compare two kernels. So every guest here runs
# on the TSC.
tsc_khz=$(awk -v m="$tsc_mhz" 'BEGIN { printf "%d", m * 1000 }')
# BENCH_CPU: the guests' QEMU CPU model, e.g. max,-avx2 for a CPU without
# AVX2, on which our rxkad level 2 uses its scalar fcrypt.
cpu=${BENCH_CPU:-max}
eval "$(declare -f vm_boot | sed -e '1s/^vm_boot/bench_boot/' \
	-e "s/kasan\.fault=report/& tsc=reliable tsc_early_khz=$tsc_khz/" \
	-e "s/-cpu max/-cpu $cpu/" \
	-e "s/-accel tcg/& $icount/")"
declare -f bench_boot | grep -q "tsc_early_khz=$tsc_khz" ||
	{ echo "bench: cannot add tsc_early_khz to vm_boot's command line"; exit 1; }

echo "bench: the $VARIANT kernel, $krel in $kdir; our module $rsko"
echo "bench: host $(nproc) CPUs, load average $(load) at the start; TSC $tsc_mhz MHz; guest CPU $cpu"
echo "bench: guests $order; per guest $runs runs of: small $small calls, parallel $rounds rounds of 64, bulk $mib MiB, rxkad bulk $kad_mib MiB; recvmsg buffer ${BENCH_RECV:-1048576} B, readers wait in ${BENCH_WAIT:-poll}"
case ,$only, in
*,bulk64_*|*,parallel1000,*|*,loss_*|*,reorder_*|*,open1*|*,mem_*|*,conns,*|*,link_*)
	echo "bench: scale rows: bulk ${big_mib} MiB, loss and reordering bulk ${loss_mib} MiB, $nconns connections, N=$scale idle connections and active calls; loss, reordering, memory and conns $heavy_runs runs per guest" ;;
esac
echo "bench: measurements $only"
[ -z "$link_only" ] || echo "bench: link MTU $link_mtu; service guests ${link_service:-as the clients}"

# --- The guests: each implementation twice, in the order c rs rs c -----------
# Runs are minutes apart on a shared host whose load drifts; interleaving
# the two (ABBA) keeps a drift from landing on one implementation only.
# The figures of an implementation are the median, min and max over all
# the runs of its guests.
# guest_image IMPL DIR ONLY [CONF...]: the image of one guest in DIR
# (DIR/initramfs.gz), running the measurements ONLY; CONF: more lines of
# its /etc/rxrpc-test.conf.
guest_image() {
	local impl=$1 dir=$2 rows=$3
	shift 3
	rm -rf "$dir"; mkdir -p "$dir"
	vm_image "$impl" bench "$dir"
	cp "$out/rxrpc_bench" "$dir/root/tests/"
	cp "$top/scripts/bench/guest.sh" "$dir/root/tests/bench.sh"
	chmod 755 "$dir/root/tests/"{rxrpc_bench,bench.sh}
	if [ -n "${BENCH_PROF:-}" ]; then
		gcc -O2 -Wall -Werror -static -o "$dir/root/tests/prof" "$top/scripts/bench/prof.c"
		echo "BENCH_PROF=$BENCH_PROF" >> "$dir/root/etc/rxrpc-test.conf"
		echo "BENCH_PROF_CALLERS=${BENCH_PROF_CALLERS:-0}" >> "$dir/root/etc/rxrpc-test.conf"
		echo "BENCH_PROF_SYM=${BENCH_PROF_SYM:-}" >> "$dir/root/etc/rxrpc-test.conf"
	fi
	[ -n "${BENCH_LO_MTU:-}" ] && echo "BENCH_LO_MTU=$BENCH_LO_MTU" >> "$dir/root/etc/rxrpc-test.conf"
	printf 'BENCH_RUNS=%s\nBENCH_SMALL=%s\nBENCH_ROUNDS=%s\nBENCH_MIB=%s\nBENCH_KAD_MIB=%s\nBENCH_ONLY=%s\nBENCH_RECV=%s\nBENCH_TSC_MHZ=%s\nBENCH_LIMIT=%s\n' \
		"$runs" "$small" "$rounds" "$mib" "$kad_mib" "$rows" "${BENCH_RECV:-}" "$tsc_mhz" "$((limit - 60))" >> "$dir/root/etc/rxrpc-test.conf"
	printf 'BENCH_HEAVY_RUNS=%s\nBENCH_BIG_MIB=%s\nBENCH_LOSS_MIB=%s\nBENCH_CONNS=%s\nBENCH_SCALE=%s\n' \
		"$heavy_runs" "$big_mib" "$loss_mib" "$nconns" "$scale" >> "$dir/root/etc/rxrpc-test.conf"
	echo "BENCH_WAIT=${BENCH_WAIT:-poll}" >> "$dir/root/etc/rxrpc-test.conf"
	[ $# -gt 0 ] && printf '%s\n' "$@" >> "$dir/root/etc/rxrpc-test.conf"
	# netem on lo for the loss and reordering rows: tc and its libraries.
	case ",$rows," in
	*,loss_*|*,reorder_*) add_tc "$dir/root" || { echo "bench: no tc on the host (iproute2)"; return 1; } ;;
	esac
	pack_image "$dir"
	rm -rf "$dir/root"
}
# guest_check NAME DIR: the verdict on a guest whose console is in
# DIR/console.raw (DIR/console.log, DIR/bench.out made from it): 0 if its
# figures count, 1 on an error, 2 on a splat before the benchmark began
# (the kernel's boot, under TCG on a loaded host; with the debug kernel
# lockdep is then off, so the figures do not count).
guest_check() {
	local name=$1 dir=$2 rc first_splat first_bench
	vm_clean_log "$dir/console.raw" > "$dir/console.log"
	grep -E '^(bench|run) ' "$dir/console.log" > "$dir/bench.out" || true
	if grep -Eq "$splat_pattern" "$dir/console.log"; then
		grep -E "$splat_pattern" "$dir/console.log" | sed 's/^/  | /' | head -10
		first_splat=$(grep -nEm1 "$splat_pattern" "$dir/console.log" | cut -d: -f1)
		first_bench=$(grep -nm1 '^bench-guest: ' "$dir/console.log" | cut -d: -f1 || true)
		if [ -n "$first_bench" ] && [ "$first_splat" -lt "$first_bench" ]; then
			echo "bench: $name: a splat while the kernel booted, before the module loaded (see $dir/console.log)"
			return 2
		fi
		echo "bench: $name: kernel log not clean, see $dir/console.log"
		return 1
	fi
	rc=$(awk '$1 == "bench" && $2 == "exit" { print $3 }' "$dir/bench.out")
	if [ "$rc" != 0 ]; then
		echo "bench: $name FAILED (exit ${rc:-none: the guest hung or died}); its output:"
		grep -E '^(bench|bench-guest:) ' "$dir/console.log" | grep -v ' median=' | sed 's/^/  | /' | tail -20
		return 1
	fi
	if ! grep -q '^@@@ END' "$dir/console.log"; then
		echo "bench: $name did not finish, see $dir/console.log"
		return 1
	fi
	return 0
}
# guest N IMPL DIR: boots one guest, the loopback rows; guest_check's verdict.
guest() {
	local n=$1 impl=$2 dir=$3 t=$SECONDS
	guest_image "$impl" "$dir" "$lo_only" || return 1
	bench_boot "$dir" "$dir/console.raw" "$limit" || true
	rm -f "$dir/initramfs.gz"
	vm_clean_log "$dir/console.raw" | grep -E '^(bench|run) ' > "$dir/bench.out" || true
	echo "bench: guest $n ($impl): $((SECONDS - t)) s, of which $(awk '$2 == "guest_secs" { print $3 }' "$dir/bench.out") s benchmarking; host load $(load); guest clocksource $(awk '$2 == "clocksource" { print $3 }' "$dir/bench.out")"
	guest_s+=("$impl $((SECONDS - t)) s")
	guest_check "guest $n ($impl)" "$dir"
}
# link N IMPL DIR: the link rows, two guests of IMPL booted together and
# joined by a private link (interop-lib.sh's: a QEMU socket netdev on host
# loopback, 192.0.2.0/24): DIR/service (192.0.2.1) runs the service alone,
# DIR (192.0.2.2) the client and its measurements. Each guest has one
# vCPU, as in the interop tests: the two run at once on the host's cores.
link() {
	local n=$1 impl=$2 dir=$3 t=$SECONDS pa pb pid_s pid_c k rc=0 rs=0
	guest_image "$impl" "$dir" "$link_only" BENCH_LINK_IP=192.0.2.2 \
		BENCH_LINK_PEER=192.0.2.1 BENCH_LINK_ROLE=client BENCH_LINK_MTU="$link_mtu" || return 1
	guest_image "${link_service:-$impl}" "$dir/service" "$link_only" BENCH_LINK_IP=192.0.2.1 \
		BENCH_LINK_PEER=192.0.2.2 BENCH_LINK_ROLE=service BENCH_LINK_MTU="$link_mtu" || return 1
	link_ports
	bench_link_boot "$dir/service" "$pa" "$pb" 52:54:00:12:34:01 "$dir/service/console.raw" "$limit" ${BENCH_LINK_PCAP:+"$dir/service/link.pcap" 400} &
	pid_s=$!
	bench_link_boot "$dir" "$pb" "$pa" 52:54:00:12:34:02 "$dir/console.raw" "$limit" &
	pid_c=$!
	wait $pid_c || true
	# The client ends the service with a STOP call; if it could not, the
	# service's guest is stopped after a minute.
	for k in $(seq 60); do kill -0 $pid_s 2>/dev/null || break; sleep 1; done
	kill $pid_s 2>/dev/null || true
	wait $pid_s || true
	rm -f "$dir/initramfs.gz" "$dir/service/initramfs.gz"
	guest_check "link $n ($impl), the service's guest" "$dir/service" || rs=$?
	guest_check "link $n ($impl), the client's guest" "$dir" || rc=$?
	echo "bench: link $n ($impl): $((SECONDS - t)) s, of which $(awk '$2 == "guest_secs" { print $3 }' "$dir/bench.out") s benchmarking (client); host load $(load)"
	guest_s+=("link $impl $((SECONDS - t)) s")
	[ $rs = 1 ] || [ $rc = 1 ] && return 1
	[ $rs = 2 ] || [ $rc = 2 ] && return 2
	return 0
}
# interop_boot with the TSC's rate, as bench_boot.
eval "$(declare -f interop_boot | sed -e '1s/^interop_boot/bench_link_boot/' \
	-e "s/kasan\.fault=report/& tsc=reliable tsc_early_khz=$tsc_khz/")"
declare -f bench_link_boot | grep -q "tsc_early_khz=$tsc_khz" ||
	{ echo "bench: cannot add tsc_early_khz to interop_boot's command line"; exit 1; }
n=0
for impl in $order; do
	[ -n "$lo_only" ] || break
	n=$((n + 1)); dir="$out/$n-$impl"
	rc=0; guest $n "$impl" "$dir" || rc=$?
	if [ $rc = 2 ]; then
		echo "bench: guest $n ($impl): its figures do not count; once more"
		mv "$dir" "$dir.boot-splat"
		rc=0; guest $n "$impl" "$dir" || rc=$?
	fi
	if [ $rc = 0 ]; then echo ok > "$dir/verdict"; else status=1; fi
done
n=0
for impl in $order; do
	[ -n "$link_only" ] || break
	n=$((n + 1)); dir="$out/link$n-$impl"
	rc=0; link $n "$impl" "$dir" || rc=$?
	if [ $rc = 2 ]; then
		echo "bench: link $n ($impl): its figures do not count; once more"
		mv "$dir" "$dir.boot-splat"
		rc=0; link $n "$impl" "$dir" || rc=$?
	fi
	if [ $rc = 0 ]; then echo ok > "$dir/verdict"; else status=1; fi
done
fi

# --- The figures of the guests whose figures count -----------------------------
for dir in "$out"/[0-9]*-c "$out"/link[0-9]*-c "$out"/[0-9]*-rs "$out"/link[0-9]*-rs; do
	[ "$(cat "$dir/verdict" 2>/dev/null)" = ok ] || continue
	impl=${dir##*-}
	while read -r _ meas fig _ _ _ _ v; do
		vals[$impl:$meas:$fig]+="${v#values=},"
	done < <(grep -E '^bench [a-z0-9_]+ [A-Za-z0-9_]+ median=.* values=' "$dir/bench.out")
	# Runs a bulk call was aborted in (not counted), of the runs: summed.
	while read -r _ meas _ a o; do
		k=$impl:$meas:aborted; stat[$k]=$(( ${stat[$k]:-0} + ${a#runs=} ))
		k=$impl:$meas:tried; stat[$k]=$(( ${stat[$k]:-0} + ${o#of=} ))
	done < <(grep -E '^bench [a-z0-9_]+ aborted runs=[0-9]+ of=[0-9]+$' "$dir/bench.out")
	# Counters over the counted runs: summed over the guests.
	while read -r _ meas _ rest; do
		for f in $rest; do
			k=$impl:$meas:${f%%=*}; stat[$k]=$(( ${stat[$k]:-0} + ${f#*=} ))
		done
	done < <(grep -E '^bench [a-z0-9_]+ stats ' "$dir/bench.out")
done

# Three significant digits or more, no exponent.
fmt='function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.3g", x) }'
# median, min, max, count of a comma list
summary() {
	tr ',' '\n' <<< "${1%,}" | sort -g | awk "$fmt"'{ v[NR] = $1 } END {
		if (!NR) exit
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print fmt(m), fmt(v[1]), fmt(v[NR]), NR }'
}
declare -A med lo hi cnt
for k in "${!vals[@]}"; do
	read -r med[$k] lo[$k] hi[$k] cnt[$k] <<< "$(summary "${vals[$k]}")"
done
# Counters per call (or per MB for bulk) from the summed stats lines.
for impl in c rs; do
	for meas in small parallel parallel16 parallel256 bulk_req bulk_reply \
		kad_{plain,auth,encrypt}_{small,bulk_req,bulk_reply} rxperf_{small,bulk_req,bulk_reply} \
		bulk64_{req,reply} parallel1000 {loss,reorder,link}_bulk_{req,reply} open{1,10,100,1000} conns; do
		per=${stat[$impl:$meas:calls]:-0}
		case $meas in *bulk*) per=$(awk -v b="${stat[$impl:$meas:bytes]:-0}" 'BEGIN { print b / 1e6 }') ;; esac
		[ "$per" = 0 ] && continue
		for k in Data.send Ack.send Data-Tx.retrans Udp.RcvbufErrors; do
			med[$impl:$meas:$k]=$(awk -v v="${stat[$impl:$meas:$k]:-0}" -v p="$per" "$fmt"'BEGIN { print fmt(v / p) }')
			lo[$impl:$meas:$k]=${med[$impl:$meas:$k]}; hi[$impl:$meas:$k]=${med[$impl:$meas:$k]}
		done
		# Loss and reordering: DATA packets sent again, per transfer (a
		# run's one call): all DATA sent (Data: send=) less the DATA
		# packets made (Data-Tx: nr=). C's own count (Data-Tx: retrans=)
		# has only the resends of its RTO timer, not those for a NAK.
		case $meas in loss_*|reorder_*|link_*)
			k=$impl:$meas:resent_per_call
			[[ $meas = link_* ]] && k=$impl:$meas:resent_per_MB
			[[ $meas = link_* ]] || per=${stat[$impl:$meas:calls]}
			med[$k]=$(awk -v s="${stat[$impl:$meas:Data.send]:-0}" -v n="${stat[$impl:$meas:Data-Tx.nr]:-0}" \
				-v p="$per" "$fmt"'BEGIN { print fmt((s - n) / p) }')
			lo[$k]=${med[$k]}; hi[$k]=${med[$k]} ;;
		esac
	done
	# Derived: calls/s and CPU per call beside 1,000 open calls over beside
	# one (flat: 1), and an active call less an idle connection (memory).
	for fig in calls_per_s cpu_us_per_call; do
		[ -n "${med[$impl:open1:$fig]:-}" ] && [ -n "${med[$impl:open1000:$fig]:-}" ] || continue
		k=$impl:open_ratio:$fig
		med[$k]=$(awk -v a="${med[$impl:open1000:$fig]}" -v b="${med[$impl:open1:$fig]}" 'BEGIN { if (b + 0) printf "%.2f", a / b }')
		lo[$k]=${med[$k]}; hi[$k]=${med[$k]}
	done
	for fig in slab_B; do
		[ -n "${med[$impl:mem_conns:$fig]:-}" ] && [ -n "${med[$impl:mem_calls:$fig]:-}" ] || continue
		k=$impl:mem_call_only:$fig
		med[$k]=$(awk -v a="${med[$impl:mem_calls:$fig]}" -v b="${med[$impl:mem_conns:$fig]}" "$fmt"'BEGIN { print fmt(a - b) }')
		lo[$k]=${med[$k]}; hi[$k]=${med[$k]}
	done
done
# --- The table -------------------------------------------------------------------
# key|label|better ("higher" or "lower"; "lower-nz": shown only if not 0)
rows=(
	"small calls_per_s|small (100 B each way): calls/s|higher"
	"small us_per_call|small: us per call (wall)|lower"
	"small cpu_us_per_call|small: guest CPU us per call|lower"
	"small kcpu_us_per_call|small:  of which in the kernel|lower"
	"small proc_cpu_us_per_call|small:  of which the 2 processes|lower"
	"small sendmsg_us_per_call|small: us in sendmsg per call|lower"
	"small recvmsg_us_per_call|small: us in recvmsg per call|lower"
	"small msgs_per_call|small: sendmsg+recvmsg per call|lower"
	"small pkts_per_call|small: UDP datagrams per call|lower"
	"small ctxsw_per_call|small: context switches per call|lower"
	"small Data.send|small:  DATA packets per call|lower"
	"small Ack.send|small:  ACK packets per call|lower"
	"parallel calls_per_s|parallel (64 x 1 KiB): calls/s|higher"
	"parallel cpu_us_per_call|parallel: guest CPU us per call|lower"
	"parallel kcpu_us_per_call|parallel:  of which in the kernel|lower"
	"parallel proc_cpu_us_per_call|parallel:  of which the 2 processes|lower"
	"parallel sendmsg_us_per_call|parallel: us in sendmsg per call|lower"
	"parallel recvmsg_us_per_call|parallel: us in recvmsg per call|lower"
	"parallel msgs_per_call|parallel: sendmsg+recvmsg per call|lower"
	"parallel pkts_per_call|parallel: UDP datagrams per call|lower"
	"parallel ctxsw_per_call|parallel: context switches per call|lower"
	"parallel Ack.send|parallel:  ACK packets per call|lower"
	"bulk_req aborted|bulk req: runs aborted (not counted)|count"
	"bulk_req MB_per_s|bulk ${mib} MiB request: MB/s|higher"
	"bulk_req cpu_ms_per_MB|bulk req: guest CPU ms per MB|lower"
	"bulk_req kcpu_ms_per_MB|bulk req:  of which in the kernel|lower"
	"bulk_req proc_cpu_ms_per_MB|bulk req:  of which the 2 processes|lower"
	"bulk_req sendmsg_ms_per_MB|bulk req: ms in sendmsg per MB|lower"
	"bulk_req recvmsg_ms_per_MB|bulk req: ms in recvmsg per MB|lower"
	"bulk_req msgs_per_MB|bulk req: sendmsg+recvmsg per MB|lower"
	"bulk_req pkts_per_MB|bulk req: UDP datagrams per MB|lower"
	"bulk_req ctxsw_per_MB|bulk req: context switches per MB|lower"
	"bulk_req Ack.send|bulk req:  ACK packets per MB|lower"
	"bulk_req Data-Tx.retrans|bulk req: retransmissions per MB|lower-nz"
	"bulk_req Udp.RcvbufErrors|bulk req: UDP drops per MB|lower-nz"
	"bulk_reply aborted|bulk reply: runs aborted (not counted)|count"
	"bulk_reply MB_per_s|bulk ${mib} MiB reply: MB/s|higher"
	"bulk_reply cpu_ms_per_MB|bulk reply: guest CPU ms per MB|lower"
	"bulk_reply kcpu_ms_per_MB|bulk reply:  of which in the kernel|lower"
	"bulk_reply proc_cpu_ms_per_MB|bulk reply:  of which the 2 processes|lower"
	"bulk_reply sendmsg_ms_per_MB|bulk reply: ms in sendmsg per MB|lower"
	"bulk_reply recvmsg_ms_per_MB|bulk reply: ms in recvmsg per MB|lower"
	"bulk_reply msgs_per_MB|bulk reply: sendmsg+recvmsg per MB|lower"
	"bulk_reply pkts_per_MB|bulk reply: UDP datagrams per MB|lower"
	"bulk_reply ctxsw_per_MB|bulk reply: context switches per MB|lower"
	"bulk_reply Ack.send|bulk reply:  ACK packets per MB|lower"
	"bulk_reply Data-Tx.retrans|bulk reply: retransmissions per MB|lower-nz"
	"bulk_reply Udp.RcvbufErrors|bulk reply: UDP drops per MB|lower-nz"
	"recv_empty us_per_recvmsg_16B|empty recvmsg, 16 B buffer: us|lower"
	"recv_empty us_per_recvmsg_1MiB|empty recvmsg, 1 MiB buffer: us|lower"
	"parallel16 calls_per_s|parallel (16 x 1 KiB): calls/s|higher"
	"parallel16 cpu_us_per_call|parallel16: guest CPU us per call|lower"
	"parallel16 kcpu_us_per_call|parallel16:  of which in the kernel|lower"
	"parallel256 calls_per_s|parallel (256 x 1 KiB): calls/s|higher"
	"parallel256 cpu_us_per_call|parallel256: guest CPU us per call|lower"
	"parallel256 kcpu_us_per_call|parallel256:  of which in the kernel|lower"
	"parallel256 Data-Tx.retrans|parallel256: retransmissions per call|lower-nz"
)
for l in plain auth encrypt; do
	rows+=(
	"kad_${l}_small calls_per_s|rxkad $l small: calls/s|higher"
	"kad_${l}_small cpu_us_per_call|rxkad $l small: guest CPU us per call|lower"
	"kad_${l}_small kcpu_us_per_call|rxkad $l small:  of which in the kernel|lower"
	"kad_${l}_bulk_req aborted|rxkad $l bulk req: runs aborted (not counted)|count"
	"kad_${l}_bulk_req MB_per_s|rxkad $l ${kad_mib} MiB request: MB/s|higher"
	"kad_${l}_bulk_req cpu_ms_per_MB|rxkad $l bulk req: guest CPU ms per MB|lower"
	"kad_${l}_bulk_req kcpu_ms_per_MB|rxkad $l bulk req:  of which in the kernel|lower"
	"kad_${l}_bulk_req Data-Tx.retrans|rxkad $l bulk req: retransmissions per MB|lower-nz"
	"kad_${l}_bulk_reply aborted|rxkad $l bulk reply: runs aborted (not counted)|count"
	"kad_${l}_bulk_reply MB_per_s|rxkad $l ${kad_mib} MiB reply: MB/s|higher"
	"kad_${l}_bulk_reply cpu_ms_per_MB|rxkad $l bulk reply: guest CPU ms per MB|lower"
	"kad_${l}_bulk_reply kcpu_ms_per_MB|rxkad $l bulk reply:  of which in the kernel|lower"
	"kad_${l}_bulk_reply Data-Tx.retrans|rxkad $l bulk reply: retransmissions per MB|lower-nz"
	)
done
rows+=(
	"rxperf_small aborted|rxperf RPC: runs aborted (not counted)|count"
	"rxperf_small calls_per_s|rxperf.ko RPC (100 B each way): calls/s|higher"
	"rxperf_small cpu_us_per_call|rxperf RPC: guest CPU us per call|lower"
	"rxperf_small kcpu_us_per_call|rxperf RPC:  of which in the kernel|lower"
	"rxperf_small pkts_per_call|rxperf RPC: UDP datagrams per call|lower"
	"rxperf_bulk_req aborted|rxperf SEND: runs aborted (not counted)|count"
	"rxperf_bulk_req MB_per_s|rxperf.ko ${mib} MiB SEND: MB/s|higher"
	"rxperf_bulk_req cpu_ms_per_MB|rxperf SEND: guest CPU ms per MB|lower"
	"rxperf_bulk_req kcpu_ms_per_MB|rxperf SEND:  of which in the kernel|lower"
	"rxperf_bulk_req Data-Tx.retrans|rxperf SEND: retransmissions per MB|lower-nz"
	"rxperf_bulk_reply aborted|rxperf RECV: runs aborted (not counted)|count"
	"rxperf_bulk_reply MB_per_s|rxperf.ko ${mib} MiB RECV: MB/s|higher"
	"rxperf_bulk_reply cpu_ms_per_MB|rxperf RECV: guest CPU ms per MB|lower"
	"rxperf_bulk_reply kcpu_ms_per_MB|rxperf RECV:  of which in the kernel|lower"
	"rxperf_bulk_reply Data-Tx.retrans|rxperf RECV: retransmissions per MB|lower-nz"
)
# The scale rows (BENCH_FULL=1).
for d in req reply; do
	rows+=(
	"bulk64_$d aborted|bulk ${big_mib} MiB $d: runs aborted (not counted)|count"
	"bulk64_$d MB_per_s|bulk ${big_mib} MiB $d: MB/s|higher"
	"bulk64_$d cpu_ms_per_MB|bulk ${big_mib} MiB $d: guest CPU ms per MB|lower"
	"bulk64_$d Data-Tx.retrans|bulk ${big_mib} MiB $d: retransmissions per MB|lower-nz"
	)
done
rows+=(
	"parallel1000 calls_per_s|parallel (1000 x 1 KiB, one socket): calls/s|higher"
	"parallel1000 cpu_us_per_call|parallel1000: guest CPU us per call|lower"
	"parallel1000 Data-Tx.retrans|parallel1000: retransmissions per call|lower-nz"
)
for c in loss reorder; do
	l="2% loss"; [ $c = reorder ] && l="reordering"
	for d in req reply; do
		rows+=(
		"${c}_bulk_$d aborted|$l, ${loss_mib} MiB $d: runs aborted (not counted)|count"
		"${c}_bulk_$d secs|$l, ${loss_mib} MiB $d: seconds|lower"
		"${c}_bulk_$d resent_per_call|$l, $d: DATA resent per transfer|lower"
		"${c}_bulk_$d cpu_ms_per_MB|$l, $d: guest CPU ms per MB|lower"
		)
	done
done
for h in 1 10 100 1000; do
	rows+=(
	"open$h calls_per_s|small calls beside $h open: calls/s|higher"
	"open$h cpu_us_per_call|small beside $h open: guest CPU us per call|lower"
	)
done
rows+=(
	"open_ratio calls_per_s|small calls/s beside 1000 open / beside 1|higher"
	"open_ratio cpu_us_per_call|CPU per call beside 1000 open / beside 1|lower"
	"mem_conns slab_B|idle connection (both ends): slab bytes|lower"
	"mem_conns memfree_B|idle connection: MemFree drop, bytes|lower"
	"mem_conns conn_rows|idle connection: /proc conns rows each|info"
	"mem_calls slab_B|active call, own connection: slab bytes|lower"
	"mem_calls memfree_B|active call, own connection: MemFree drop|lower"
	"mem_call_only slab_B|active call less idle connection: slab B|lower"
	"conns calls_per_s|$nconns connections in a row: conns/s|higher"
	"conns cpu_us_per_call|conns: guest CPU us per connection|lower"
	"conns pkts_per_call|conns: UDP datagrams per connection|lower"
)
for d in req reply; do
	rows+=(
	"link_bulk_$d aborted|link (2 guests) $d: runs aborted (not counted)|count"
	"link_bulk_$d MB_per_s|link (2 guests) ${mib} MiB $d: MB/s|higher"
	"link_bulk_$d cpu_ms_per_MB|link $d: client guest CPU ms per MB|lower"
	"link_bulk_$d resent_per_MB|link $d: client's DATA resent per MB|lower-nz"
	)
done
# Aborted runs, as "A of N" (what the guests ran of the measurement).
for k in "${!stat[@]}"; do
	[[ $k = *:aborted ]] || continue
	med[$k]="${stat[$k]} of ${stat[${k%aborted}tried]}"; lo[$k]=${med[$k]}; hi[$k]=${med[$k]}
done
cell() { # impl key
	local m=${med[$1:$2]:-}
	if [ -z "$m" ]; then echo "-"
	elif [ "${lo[$1:$2]}" = "${hi[$1:$2]}" ]; then echo "$m"
	else echo "$m (${lo[$1:$2]}-${hi[$1:$2]})"; fi
}
echo
# The runs each figure is over: the most of any (a failed guest has none).
runs_of() { local k n=0; for k in "${!cnt[@]}"; do [[ $k = "$1":* ]] && [ "${cnt[$k]}" -gt $n ] && n=${cnt[$k]}; done; echo $n; }
echo "== make bench on the ${VARIANT:-debug} kernel: median (min-max) over the runs, $(runs_of c) on C, $(runs_of rs) on ours"
printf '%-46s %-24s %-24s %-7s %s\n' "measurement" "C rxrpc.ko" "ours rxrpc-rs.ko" "ours/C" "better"
for row in "${rows[@]}"; do
	IFS='|' read -r key label better <<< "$row"
	key=${key/ /:}
	[ -z "${med[c:$key]:-}${med[rs:$key]:-}" ] && continue
	if [ "$better" = lower-nz ]; then
		[ "${med[c:$key]:-0}" = 0 ] && [ "${med[rs:$key]:-0}" = 0 ] && continue
		better=lower
	fi
	if [ "$better" = info ]; then
		printf '%-46s %-24s %-24s %-7s %s\n' "$label" "$(cell c "$key")" "$(cell rs "$key")" - -
		continue
	fi
	if [ "$better" = count ]; then
		printf '%-46s %-24s %-24s %-7s %s\n' "$label" "${med[c:$key]:-0}" "${med[rs:$key]:-0}" - lower
		continue
	fi
	ratio=$(awk -v a="${med[rs:$key]:-}" -v b="${med[c:$key]:-}" \
		'BEGIN { if (a != "" && b != "" && b + 0 != 0) printf "%.2f", a / b; else print "-" }')
	printf '%-46s %-24s %-24s %-7s %s\n' "$label" "$(cell c "$key")" "$(cell rs "$key")" "$ratio" "$better"
done
cat <<EOF

Wall time: the TSC (the host's, under TCG); a small or parallel run ends
when the service has seen the last final ACK. Guest CPU: busy time of the
guest's CPUs (/proc/stat; the kernel brings up 1 of QEMU's -smp 2); "of which the 2 processes": their user+system time
(getrusage, which counts the softirqs run in their syscalls); the rest ran
in kernel threads and work items. "of which in the kernel": the guest's
busy time less its user mode (user and nice in /proc/stat), that is
without the programs' own work, which is the same on both modules
(making and checking every byte). All are counted in timer ticks (tick
accounting), so they are coarse and miss what the host took away. Time in
sendmsg/recvmsg: wall time in the syscalls, both processes (blocking
included, poll() not). Packets: both ends (one guest), /proc/net/snmp and
/proc/net/rxrpc/stats. Context switches: /proc/stat, the whole guest.
rxperf: the service is rxperf.ko in the kernel, so a run ends with the
last reply, and "of which the 2 processes" is the client alone. rxkad:
calls on client sockets with an rxrpc key at the level; the service's
socket has the keyring (rxkad bulk: ${kad_mib} MiB).
$(case ",${only:-}," in *,bulk64_*|*,parallel1000,*|*,loss_*|*,reorder_*|*,open1*|*,mem_*|*,conns,*|*,link_*) cat <<EOT
Scale rows: parallel1000 puts 1,000 calls on one socket (16 on the wire: a
bundle has 4 connections of 4 channels). loss/reordering: netem on lo,
both directions; "DATA resent" is DATA sent (Data: send=) less DATA made
(Data-Tx: nr=), as C's Data-Tx retrans= counts only its RTO's resends.
open<N>: small calls beside N calls held open (sent, the service holding
them unanswered), each on a connection of its own. Memory: /proc/meminfo
before and after N=${scale:-1000} idle connections (calls done, both ends in
the guest, so a client and a service connection) or active calls (held
open, each with its connection), per object; Slab is the slab allocator,
MemFree's drop counts page allocations too. conns: calls in a row, each on
a new connection (RXRPC_EXCLUSIVE_CONNECTION), a new socket every 100.
link: two guests, the client's figures. Heavy rows (loss, reordering, mem,
conns) have ${heavy_runs:-1} run per guest.
EOT
;; esac)
$(if [ -n "${BENCH_ICOUNT:-}" ]; then cat <<EOT
Instruction count (BENCH_ICOUNT=$BENCH_ICOUNT): the loopback guests ran
QEMU -icount shift=$BENCH_ICOUNT, sleep=off, so their time is the
instructions they executed, 2^$BENCH_ICOUNT ns each (an idle guest skips
ahead): the figures count instructions, not the host's time, and do not
move with its load; every instruction counts the same, so a copy loop
weighs more than on real hardware, a cache miss nothing.
EOT
fi)
Caveat: $(if [ "${VARIANT:-debug}" = debug ]; then echo "a debug kernel (KASAN, lockdep)"; else echo "a $VARIANT kernel (no KASAN, lockdep)"; fi) under QEMU TCG, no KVM, 1 guest CPU
on a $(nproc)-CPU host: absolute figures are nowhere near real hardware and
move with the host's load; only the ratios mean something, and roughly
(see min-max; the guests ran one after the other, $order).
EOF
[ ${#guest_s[@]} -gt 0 ] &&
	echo "bench: host load average $(load) at the end; $((SECONDS - start)) s in all (guests: $(printf '%s, ' "${guest_s[@]}" | sed 's/, $//'))"
exit "$status"
