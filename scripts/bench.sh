#!/usr/bin/env bash
# make bench: our module against the C rxrpc.ko, measured in the same run.
# Boots guests with rxrpc.ko and with rxrpc-rs.ko, in the order c rs rs c,
# each running scripts/bench/rxrpc_bench.c over IPv4 loopback (a service
# and a client in two processes: small calls in a row, 16, 64 and 256
# calls at once, a bulk request, a bulk reply; small and bulk calls again
# over rxkad at each level, plain, auth and encrypt; calls to the kernel's
# rxperf.ko server; and what an empty recvmsg costs), and prints a table:
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
# rxperf_bulk_req, rxperf_bulk_reply; all by default), BENCH_ORDER (the
# guests, "c rs rs c"), BENCH_RECV (bytes of buffer per recvmsg in the
# calls, 1 MiB), BENCH_VM_LIMIT (seconds per guest, 900), BENCH_OUT
# (build/bench: console logs and the program's output, per guest).
#
# Under QEMU TCG without KVM absolute figures are far from real hardware
# and move with the host's load; the ratios are the point. A guest whose
# kernel splats while it boots, before the module loads (seen under TCG on
# a loaded host with the debug kernel; lockdep then turns itself off,
# which speeds the guest up), is booted once more and its figures do not
# count.
set -euo pipefail
. "$(dirname "$0")/vm-lib.sh"

out=${BENCH_OUT:-$top/build/bench}
runs=${BENCH_RUNS:-5}
small=${BENCH_SMALL:-400}
rounds=${BENCH_ROUNDS:-5}
mib=${BENCH_MIB:-16}
kad_mib=${BENCH_KAD_MIB:-16}
all=small,parallel,bulk_req,bulk_reply,recv_empty,parallel16,parallel256
for l in plain auth encrypt; do all+=,kad_${l}_small,kad_${l}_bulk_req,kad_${l}_bulk_reply; done
all+=,rxperf_small,rxperf_bulk_req,rxperf_bulk_reply
only=${BENCH_ONLY:-$all}
order=${BENCH_ORDER:-"c rs rs c"}
limit=${BENCH_VM_LIMIT:-900}
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
# vm_boot, with that rate and tsc=reliable on the kernel command line. On
# its own the guest kernel picks its clocksource by luck: on a loaded host
# it fails to calibrate the TSC, or its watchdog (refined-jiffies, which
# loses ticks under load) marks the TSC unstable, and it falls back to
# refined-jiffies: a 4 ms clock for the modules' timers too. A guest of
# each kind on one run would compare two kernels. So every guest here runs
# on the TSC.
tsc_khz=$(awk -v m="$tsc_mhz" 'BEGIN { printf "%d", m * 1000 }')
eval "$(declare -f vm_boot | sed -e '1s/^vm_boot/bench_boot/' \
	-e "s/kasan\.fault=report/& tsc=reliable tsc_early_khz=$tsc_khz/")"
declare -f bench_boot | grep -q "tsc_early_khz=$tsc_khz" ||
	{ echo "bench: cannot add tsc_early_khz to vm_boot's command line"; exit 1; }

echo "bench: the $VARIANT kernel, $krel in $kdir; our module $rsko"
echo "bench: host $(nproc) CPUs, load average $(load) at the start; TSC $tsc_mhz MHz"
echo "bench: guests $order; per guest $runs runs of: small $small calls, parallel $rounds rounds of 64, bulk $mib MiB, rxkad bulk $kad_mib MiB; recvmsg buffer ${BENCH_RECV:-1048576} B"
echo "bench: measurements $only"

# --- The guests: each implementation twice, in the order c rs rs c -----------
# Runs are minutes apart on a shared host whose load drifts; interleaving
# the two (ABBA) keeps a drift from landing on one implementation only.
# The figures of an implementation are the median, min and max over all
# the runs of its guests.
# guest N IMPL DIR: boots one guest; 0 if its figures count, 1 on an
# error, 2 on a splat before the benchmark began (the kernel's boot, under
# TCG on a loaded host; lockdep is then off, so the figures do not count).
guest() {
	local n=$1 impl=$2 dir=$3 t=$SECONDS rc first_splat first_bench
	rm -rf "$dir"; mkdir -p "$dir"
	vm_image "$impl" bench "$dir"
	cp "$out/rxrpc_bench" "$dir/root/tests/"
	cp "$top/scripts/bench/guest.sh" "$dir/root/tests/bench.sh"
	chmod 755 "$dir/root/tests/"{rxrpc_bench,bench.sh}
	printf 'BENCH_RUNS=%s\nBENCH_SMALL=%s\nBENCH_ROUNDS=%s\nBENCH_MIB=%s\nBENCH_KAD_MIB=%s\nBENCH_ONLY=%s\nBENCH_RECV=%s\nBENCH_TSC_MHZ=%s\nBENCH_LIMIT=%s\n' \
		"$runs" "$small" "$rounds" "$mib" "$kad_mib" "$only" "${BENCH_RECV:-}" "$tsc_mhz" "$((limit - 60))" >> "$dir/root/etc/rxrpc-test.conf"
	(cd "$dir/root" && find . | cpio -o -H newc --quiet | gzip -1) > "$dir/initramfs.gz"
	rm -rf "$dir/root"
	bench_boot "$dir" "$dir/console.raw" "$limit" || true
	rm -f "$dir/initramfs.gz"
	vm_clean_log "$dir/console.raw" > "$dir/console.log"
	grep -E '^(bench|run) ' "$dir/console.log" > "$dir/bench.out" || true
	echo "bench: guest $n ($impl): $((SECONDS - t)) s, of which $(awk '$2 == "guest_secs" { print $3 }' "$dir/bench.out") s benchmarking; host load $(load); guest clocksource $(awk '$2 == "clocksource" { print $3 }' "$dir/bench.out")"
	guest_s+=("$impl $((SECONDS - t)) s")
	if grep -Eq "$splat_pattern" "$dir/console.log"; then
		grep -E "$splat_pattern" "$dir/console.log" | sed 's/^/  | /' | head -10
		first_splat=$(grep -nEm1 "$splat_pattern" "$dir/console.log" | cut -d: -f1)
		first_bench=$(grep -nm1 '^bench-guest: ' "$dir/console.log" | cut -d: -f1 || true)
		if [ -n "$first_bench" ] && [ "$first_splat" -lt "$first_bench" ]; then
			echo "bench: guest $n ($impl): a splat while the kernel booted, before the module loaded (see $dir/console.log)"
			return 2
		fi
		echo "bench: guest $n ($impl): kernel log not clean, see $dir/console.log"
		return 1
	fi
	rc=$(awk '$1 == "bench" && $2 == "exit" { print $3 }' "$dir/bench.out")
	if [ "$rc" != 0 ]; then
		echo "bench: guest $n ($impl) FAILED (exit ${rc:-none: the guest hung or died}); its output:"
		grep -E '^(bench|bench-guest:) ' "$dir/console.log" | grep -v ' median=' | sed 's/^/  | /' | tail -20
		return 1
	fi
	if ! grep -q '^@@@ END' "$dir/console.log"; then
		echo "bench: guest $n ($impl) did not finish, see $dir/console.log"
		return 1
	fi
	return 0
}
n=0
for impl in $order; do
	n=$((n + 1)); dir="$out/$n-$impl"
	rc=0; guest $n "$impl" "$dir" || rc=$?
	if [ $rc = 2 ]; then
		echo "bench: guest $n ($impl): its figures do not count; once more"
		mv "$dir" "$dir.boot-splat"
		rc=0; guest $n "$impl" "$dir" || rc=$?
	fi
	if [ $rc = 0 ]; then echo ok > "$dir/verdict"; else status=1; fi
done
fi

# --- The figures of the guests whose figures count -----------------------------
for dir in "$out"/[0-9]*-c "$out"/[0-9]*-rs; do
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
		kad_{plain,auth,encrypt}_{small,bulk_req,bulk_reply} rxperf_{small,bulk_req,bulk_reply}; do
		per=${stat[$impl:$meas:calls]:-0}
		case $meas in *bulk*) per=$(awk -v b="${stat[$impl:$meas:bytes]:-0}" 'BEGIN { print b / 1e6 }') ;; esac
		[ "$per" = 0 ] && continue
		for k in Data.send Ack.send Data-Tx.retrans Udp.RcvbufErrors; do
			med[$impl:$meas:$k]=$(awk -v v="${stat[$impl:$meas:$k]:-0}" -v p="$per" "$fmt"'BEGIN { print fmt(v / p) }')
			lo[$impl:$meas:$k]=${med[$impl:$meas:$k]}; hi[$impl:$meas:$k]=${med[$impl:$meas:$k]}
		done
	done
done
# --- The table -------------------------------------------------------------------
# key|label|better ("higher" or "lower"; "lower-nz": shown only if not 0)
rows=(
	"small calls_per_s|small (100 B each way): calls/s|higher"
	"small us_per_call|small: us per call (wall)|lower"
	"small cpu_us_per_call|small: guest CPU us per call|lower"
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
	"parallel256 calls_per_s|parallel (256 x 1 KiB): calls/s|higher"
	"parallel256 cpu_us_per_call|parallel256: guest CPU us per call|lower"
	"parallel256 Data-Tx.retrans|parallel256: retransmissions per call|lower-nz"
)
for l in plain auth encrypt; do
	rows+=(
	"kad_${l}_small calls_per_s|rxkad $l small: calls/s|higher"
	"kad_${l}_small cpu_us_per_call|rxkad $l small: guest CPU us per call|lower"
	"kad_${l}_bulk_req aborted|rxkad $l bulk req: runs aborted (not counted)|count"
	"kad_${l}_bulk_req MB_per_s|rxkad $l ${kad_mib} MiB request: MB/s|higher"
	"kad_${l}_bulk_req cpu_ms_per_MB|rxkad $l bulk req: guest CPU ms per MB|lower"
	"kad_${l}_bulk_req Data-Tx.retrans|rxkad $l bulk req: retransmissions per MB|lower-nz"
	"kad_${l}_bulk_reply aborted|rxkad $l bulk reply: runs aborted (not counted)|count"
	"kad_${l}_bulk_reply MB_per_s|rxkad $l ${kad_mib} MiB reply: MB/s|higher"
	"kad_${l}_bulk_reply cpu_ms_per_MB|rxkad $l bulk reply: guest CPU ms per MB|lower"
	"kad_${l}_bulk_reply Data-Tx.retrans|rxkad $l bulk reply: retransmissions per MB|lower-nz"
	)
done
rows+=(
	"rxperf_small aborted|rxperf RPC: runs aborted (not counted)|count"
	"rxperf_small calls_per_s|rxperf.ko RPC (100 B each way): calls/s|higher"
	"rxperf_small cpu_us_per_call|rxperf RPC: guest CPU us per call|lower"
	"rxperf_small pkts_per_call|rxperf RPC: UDP datagrams per call|lower"
	"rxperf_bulk_req aborted|rxperf SEND: runs aborted (not counted)|count"
	"rxperf_bulk_req MB_per_s|rxperf.ko ${mib} MiB SEND: MB/s|higher"
	"rxperf_bulk_req cpu_ms_per_MB|rxperf SEND: guest CPU ms per MB|lower"
	"rxperf_bulk_req Data-Tx.retrans|rxperf SEND: retransmissions per MB|lower-nz"
	"rxperf_bulk_reply aborted|rxperf RECV: runs aborted (not counted)|count"
	"rxperf_bulk_reply MB_per_s|rxperf.ko ${mib} MiB RECV: MB/s|higher"
	"rxperf_bulk_reply cpu_ms_per_MB|rxperf RECV: guest CPU ms per MB|lower"
	"rxperf_bulk_reply Data-Tx.retrans|rxperf RECV: retransmissions per MB|lower-nz"
)
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
in kernel threads and work items. Both are counted in timer ticks (tick
accounting), so they are coarse and miss what the host took away. Time in
sendmsg/recvmsg: wall time in the syscalls, both processes (blocking
included, poll() not). Packets: both ends (one guest), /proc/net/snmp and
/proc/net/rxrpc/stats. Context switches: /proc/stat, the whole guest.
rxperf: the service is rxperf.ko in the kernel, so a run ends with the
last reply, and "of which the 2 processes" is the client alone. rxkad:
calls on client sockets with an rxrpc key at the level; the service's
socket has the keyring (rxkad bulk: ${kad_mib} MiB).
Caveat: $(if [ "${VARIANT:-debug}" = debug ]; then echo "a debug kernel (KASAN, lockdep)"; else echo "a $VARIANT kernel (no KASAN, lockdep)"; fi) under QEMU TCG, no KVM, 1 guest CPU
on a $(nproc)-CPU host: absolute figures are nowhere near real hardware and
move with the host's load; only the ratios mean something, and roughly
(see min-max; the guests ran one after the other, $order).
EOF
[ ${#guest_s[@]} -gt 0 ] &&
	echo "bench: host load average $(load) at the end; $((SECONDS - start)) s in all (guests: $(printf '%s, ' "${guest_s[@]}" | sed 's/, $//'))"
exit "$status"
