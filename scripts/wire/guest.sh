#!/bin/sh
# The wire test's guest side (installed as /tests/demo.sh by
# scripts/wire-test.sh; /init runs it): the rxrpc-rs engine in userspace
# (rxrpc-udp-driver, over a UDP socket) against the kernel's C rxrpc.ko
# (rxrpc_bulk, over AF_RXRPC), on 127.0.0.1, both directions, one call per
# cell. Prints, for the host to parse:
#   wire: CELL <name> PASS|FAIL <detail>
#   wire: TIME <name> <wall seconds>
#   wire: STAT <name> <the C module's /proc/net/rxrpc/stats for the cell>
#   wire: PCAP-BEGIN <name> / base64 of a gzipped pcap / wire: PCAP-END
# From /etc/rxrpc-test.conf (written by the host):
#   WIRE_SIZES  sizes in bytes
#   WIRE_REF=1  also the reference cells: C client -> C server (the C
#               module alone) and our client -> our server (the engine alone)
#   WIRE_PCAP   a shell pattern: cells whose name matches are captured
#   WIRE_RMEM   net.core.rmem_default for the run (the driver's UDP socket)
# Every wait is bounded (the programs' own alarm, busybox timeout, and a
# kill of the background peer).
cd /tests
. /etc/rxrpc-test.conf
sizes=${WIRE_SIZES:-"1 1412 65536 1048576 8388608"}
service=1234
port=6999	# cells use 7000 up: tcpdump decodes Rx on 7000-7009

say() { echo "wire: $*"; }
uptime_cs() { # hundredths of a second since boot
	awk '{ printf "%d\n", $1 * 100 }' /proc/uptime
}
limit_for() { # size -> seconds
	if [ "$1" -ge 4000000 ]; then echo 240; elif [ "$1" -ge 1000000 ]; then echo 90; else echo 40; fi
}
# Waits up to $2 seconds for pid $1 to exit; kills it after that.
reap() {
	local pid=$1 n=$(($2 * 10))
	while [ $n -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1; n=$((n - 1))
	done
	kill "$pid" 2>/dev/null && sleep 0.2 && kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
# Waits (up to 5 s) until UDP port $1 is bound (AF_RXRPC binds a UDP socket
# in the kernel, which /proc/net/udp shows too).
wait_port() {
	local hex=$(printf '%04X' "$1") n=50
	while [ $n -gt 0 ]; do
		grep -q ":$hex " /proc/net/udp && return 0
		sleep 0.1; n=$((n - 1))
	done
	return 1
}
# Datagrams that UDP sockets dropped for a full receive buffer, so far.
udp_rcvbuf_errors() {
	awk '$1 == "Udp:" { if (!n++) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i } else print $c }' /proc/net/snmp
}
log() { sed "s/^/wire:   /" "$@"; }

# cell NAME LEN SERVER CLIENT: SERVER and CLIENT are "rs" or "c". Runs one
# call of LEN bytes each way from CLIENT to SERVER.
cell() {
	local name=$1 len=$2 srv=$3 cli=$4 lim spid cpid rc t0 t1 ok
	port=$((port + 1)); lim=$(limit_for "$len")
	cpid=
	case $name in $WIRE_PCAP)
		./rxcap /tmp/cap.pcap 128 $((lim + 30)) > /tmp/cap.log 2>&1 &
		cpid=$!; sleep 0.3 ;;
	esac
	echo > /proc/net/rxrpc/stats
	udp0=$(udp_rcvbuf_errors)
	if [ $srv = c ]; then
		./rxrpc_bulk server $port $service 1 $((lim + 10)) > /tmp/s.log 2>&1 &
	else
		./rxrpc-udp-driver server $port $service > /tmp/s.log 2>&1 &
	fi
	spid=$!
	if ! wait_port $port; then
		say "CELL $name FAIL server did not bind UDP $port"; log /tmp/s.log
		reap $spid 1; [ -n "$cpid" ] && reap $cpid 0
		return
	fi
	t0=$(uptime_cs)
	if [ $cli = c ]; then
		./rxrpc_bulk client 127.0.0.1 $port $service $len $((len + port)) $lim > /tmp/c.log 2>&1
	else
		timeout $lim ./rxrpc-udp-driver client 127.0.0.1:$port $service $len > /tmp/c.log 2>&1
	fi
	rc=$?
	t1=$(uptime_cs)
	if [ $srv = c ]; then
		reap $spid 10
	else
		sleep 0.5	# let the final ACK reach the driver before it is stopped
		reap $spid 0
	fi
	say "TIME $name $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", (b - a) / 100 }')"
	say "STAT $name $(tr -s ' \n' ' ' < /proc/net/rxrpc/stats) UDP-RcvbufErrors=$(($(udp_rcvbuf_errors) - udp0))"
	ok=1
	[ $rc = 0 ] || ok=
	if [ $cli = c ]; then
		grep -q '^RESULT client PASS' /tmp/c.log || ok=
	else
		grep -q '^call 0: Succeeded' /tmp/c.log || ok=
	fi
	if [ $srv = c ]; then
		grep -q '^RESULT server PASS' /tmp/s.log || ok=
	fi
	if [ -n "$ok" ]; then
		say "CELL $name PASS $(grep -h '^RESULT client\|calls of' /tmp/c.log)"
	else
		say "CELL $name FAIL client exit $rc"
		log /tmp/c.log /tmp/s.log
	fi
	if [ -n "$cpid" ]; then
		sleep 0.3; reap $cpid 0
		log /tmp/cap.log
		say "PCAP-BEGIN $name"
		gzip -c /tmp/cap.pcap | base64
		say "PCAP-END"
	fi
}

modprobe rxrpc
[ -n "$WIRE_RMEM" ] && echo "$WIRE_RMEM" > /proc/sys/net/core/rmem_default
say "net.core.rmem_default $(cat /proc/sys/net/core/rmem_default)"
say "kernel $(uname -r); C module loaded: $(grep -c '^rxrpc ' /proc/modules)"
for len in $sizes; do cell rs-client-to-c-server/$len $len c rs; done
for len in $sizes; do cell c-client-to-rs-server/$len $len rs c; done
if [ "$WIRE_REF" = 1 ]; then
	for len in $sizes; do cell ref-c-client-to-c-server/$len $len c c; done
	for len in $sizes; do cell ref-rs-client-to-rs-server/$len $len rs rs; done
fi
say "DONE"
