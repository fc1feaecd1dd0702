#!/bin/busybox sh
# /init of the test VM: run the kselftests for one AF_RXRPC implementation,
# then dump the kernel log between markers for the host to check. Other
# modes: demo (make run) and bench (make bench: /tests/bench.sh).
/bin/busybox --install -s
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
# Marks where early boot ends in the kernel log (see vm_dmesg).
echo "rxrpc-rs: guest init" > /dev/kmsg
mount -t tmpfs tmp /tmp
ip link set lo up

. /etc/rxrpc-test.conf
export RXRPC_IMPL=$impl
if [ "$impl" = rs ]; then export RXRPC_MODULE=rxrpc_rs; else export RXRPC_MODULE=rxrpc; fi
cd /tests

if [ "$mode" = test ]; then
	list=$(cat tests)
	[ "$impl" = c ] && list=$(grep -v '^#' shared)
	for t in $list; do
		echo "@@@ TEST $t"
		./$t 2>&1
		echo "@@@ EXIT $t $?"
	done
elif [ "$mode" = bench ]; then
	# make bench (scripts/bench.sh installs /tests/bench.sh)
	./bench.sh 2>&1
else
	./demo.sh 2>&1
fi

echo "@@@ DMESG"
dmesg
echo "@@@ END"
reboot -f
