#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module under test: loads on demand through the net-pf-33 alias,
# registers its key types, unloads cleanly, and loads again.
# KTAP output. Runs with RXRPC_IMPL=rs|c and RXRPC_MODULE set by the runner.

mod=${RXRPC_MODULE:-rxrpc_rs}
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
check() { name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else nok "$name"; fi; }
loaded() { grep -q "^$mod " /proc/modules; }
unload() { rmmod "$mod" 2>/dev/null; ! loaded; }

echo "TAP version 13"
echo "1..6"
rmmod "$mod" 2>/dev/null
check "not_loaded_at_start" sh -c "! grep -q '^$mod ' /proc/modules"
# Any AF_RXRPC socket() makes the kernel request net-pf-33.
./rxrpc_socket -t create_inet >/dev/null 2>&1
check "autoload_by_family_alias" loaded
check "key_types_registered" ./rxrpc_key -t server_key_ok
check "unload" unload
check "load_again" modprobe "$mod"
check "unload_again" unload
[ $fail -eq 0 ]
