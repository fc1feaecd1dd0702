#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs last: after the whole suite, kmemleak (on a kernel that has it) must
# report no object leaked by the module, and the module must unload, which
# it can only do with no socket left, and must not report endpoints left
# behind, nor objects left in its slab caches (connections and calls). KTAP output. Ours only: the C module 6.12.117 can hit BUG() at
# conn_object.c:482 when unloaded after rxrpc_calls (seen in about half of
# the runs), so the C runs do not unload it.

mod=${RXRPC_MODULE:-rxrpc_rs}
echo "TAP version 13"
echo "1..2"

# Leaks: objects no longer referenced whose allocation went through the
# module (its Rust code, or its kapi_ glue). Scanned while it is loaded,
# so that the traces name its functions; twice, as kmemleak advises, so
# that objects in flight are not reported.
leaks=/sys/kernel/debug/kmemleak
[ -e $leaks ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ ! -e $leaks ]; then
	echo "ok 1 no_leaks # SKIP no kmemleak in this kernel"
else
	echo scan > $leaks; sleep 5; echo scan > $leaks
	n=$(awk '/^unreferenced object/ { if (obj != "" && ours) n++; obj = $0; ours = 0; next }
		/rxrpc|kapi_/ { ours = 1 }
		END { if (obj != "" && ours) n++; print n + 0 }' $leaks)
	all=$(grep -c '^unreferenced object' $leaks)
	echo "# kmemleak: $all unreferenced object(s) in all, $n allocated through $mod"
	if [ "$n" -eq 0 ]; then
		echo "ok 1 no_leaks"
	else
		awk '/^unreferenced object/ { p = 0 } { b[NR] = $0 } /rxrpc|kapi_/ { p = 1 }
			END { for (i = 1; i <= NR; i++) print "# " b[i] }' $leaks | head -60
		echo "not ok 1 no_leaks"
	fi
fi

# Readers of /proc/net/rxrpc race the unload, which must wait for them (a
# reader holds no reference on the module); they stop once the files go.
readers=
for f in calls conns peers locals stats; do
	(while cat /proc/net/rxrpc/$f >/dev/null 2>&1; do :; done) &
	readers="$readers $!"
done
if rmmod "$mod" && ! grep -q "^$mod " /proc/modules &&
   ! dmesg | grep -q 'still in use at unload' &&
   ! dmesg | grep -q "rxrpc_rs_.*still has objects"; then
	echo "ok 2 unload_after_suite"
else
	echo "not ok 2 unload_after_suite"
	kill $readers 2>/dev/null
	exit 1
fi
kill $readers 2>/dev/null
wait
