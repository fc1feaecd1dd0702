#!/bin/sh
# The benchmark's guest side (installed as /tests/bench.sh by
# scripts/bench.sh; /init runs it in mode=bench): loads the AF_RXRPC module
# of this image and runs rxrpc_bench over loopback. Its "bench ..." and
# "run ..." lines are for the host; everything it prints is prefixed
# "bench-guest: " except those.
cd /tests
. /etc/rxrpc-test.conf
say() { echo "bench-guest: $*"; }

say "kernel $(uname -r), $(grep -c '^processor' /proc/cpuinfo) CPUs, implementation $RXRPC_IMPL ($RXRPC_MODULE)"
modprobe "$RXRPC_MODULE" || say "modprobe $RXRPC_MODULE failed"
grep "^$RXRPC_MODULE " /proc/modules >/dev/null || say "$RXRPC_MODULE is not loaded"
# rxperf.ko: the kernel's rxperf server, on the module loaded above.
case ",$BENCH_ONLY," in
*,rxperf_*) modprobe rxperf || say "modprobe rxperf failed" ;;
esac
echo "bench clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
t0=$(cut -d' ' -f1 /proc/uptime)
# tc (for netem on lo: the loss_* and reorder_* rows) is in /usr/sbin if copied in.
export PATH=$PATH:/usr/sbin:/usr/bin
set -- -r "${BENCH_RUNS:-5}" ${BENCH_HEAVY_RUNS:+-H "$BENCH_HEAVY_RUNS"} -n "${BENCH_SMALL:-1000}" -p "${BENCH_ROUNDS:-10}" \
	-b "${BENCH_MIB:-16}" ${BENCH_KAD_MIB:+-k "$BENCH_KAD_MIB"} ${BENCH_BIG_MIB:+-B "$BENCH_BIG_MIB"} \
	${BENCH_LOSS_MIB:+-L "$BENCH_LOSS_MIB"} ${BENCH_CONNS:+-C "$BENCH_CONNS"} ${BENCH_SCALE:+-N "$BENCH_SCALE"} \
	-o "${BENCH_ONLY:-small,parallel,bulk_req,bulk_reply,recv_empty}" ${BENCH_RECV:+-R "$BENCH_RECV"} \
	$([ "${BENCH_WAIT:-poll}" = recvmsg ] && echo -w) \
	${BENCH_TSC_MHZ:+-t "$BENCH_TSC_MHZ"} -l "${BENCH_LIMIT:-900}"
[ -n "${BENCH_LO_MTU:-}" ] && ip link set lo mtu "$BENCH_LO_MTU" && say "lo: MTU $(cat /sys/class/net/lo/mtu)"
# Two guests on a link (scripts/bench.sh's link rows): this one's address,
# and either the service alone (-S) or the client of the peer's (-A).
if [ -n "${BENCH_LINK_IP:-}" ]; then
	ip addr add "$BENCH_LINK_IP/24" dev eth0
	ip link set eth0 mtu "${BENCH_LINK_MTU:-1500}" up
	say "link: $BENCH_LINK_IP, peer $BENCH_LINK_PEER, $BENCH_LINK_ROLE, MTU $(cat /sys/class/net/eth0/mtu)"
	if [ "$BENCH_LINK_ROLE" = service ]; then
		set -- -S ${BENCH_TSC_MHZ:+-t "$BENCH_TSC_MHZ"} -l "${BENCH_LIMIT:-900}"
	else
		set -- "$@" -A "$BENCH_LINK_PEER"
	fi
fi
# BENCH_PROF (microseconds): a kernel profile of the whole run, sampled
# that often (scripts/bench/prof.c); its "prof" lines follow the figures.
# BENCH_PROF_CALLERS=1: "profcall" lines too (who called the copies);
# BENCH_PROF_SYM=<part of a name>: "profoff" lines (samples by offset).
[ -n "${BENCH_PROF:-}" ] && { ./prof "$BENCH_PROF" 60 "${BENCH_PROF_CALLERS:-0}" ${BENCH_PROF_SYM:+"$BENCH_PROF_SYM"} > /tmp/prof.out 2>&1 & prof_pid=$!; }
./rxrpc_bench "$@" 2>&1
rc=$?
if [ -n "${prof_pid:-}" ]; then kill -INT "$prof_pid"; wait "$prof_pid"; cat /tmp/prof.out; fi
# The link rows' service: its module's counters, the sender's view of the
# reply rows (resends, window resets, why it asked for ACKs).
# and its CPU time since boot (/proc/stat's cpu line: user nice system
# idle iowait irq softirq, in clock ticks).
if [ "${BENCH_LINK_ROLE:-}" = service ]; then
	sed 's/^/bench-guest: stats: /' /proc/net/rxrpc/stats
	say "cpu: $(grep '^cpu ' /proc/stat)"
fi
t1=$(cut -d' ' -f1 /proc/uptime)
echo "bench exit $rc"
echo "bench guest_secs $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
