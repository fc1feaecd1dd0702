#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs last: after the whole suite the module must unload, which it can
# only do with no socket left, and must not report endpoints left behind.
# KTAP output. Ours only: the C module 6.12.117 can hit BUG() at
# conn_object.c:482 when unloaded after rxrpc_calls (seen in about half of
# the runs), so the C runs do not unload it.

mod=${RXRPC_MODULE:-rxrpc_rs}
echo "TAP version 13"
echo "1..1"
if rmmod "$mod" && ! grep -q "^$mod " /proc/modules &&
   ! dmesg | grep -q 'still in use at unload'; then
	echo "ok 1 unload_after_suite"
else
	echo "not ok 1 unload_after_suite"
	exit 1
fi
