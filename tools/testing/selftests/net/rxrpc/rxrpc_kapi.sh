#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The in-kernel API (net/af_rxrpc.h), from two test modules in the image's
# extra/ (kapi/): rxrpc_kapi_hold.ko holds a kernel socket, which must keep
# the AF_RXRPC module from being removed; rxrpc_kapi_test.ko is the KUnit
# suite rxrpc_kapi, run as it loads, whose cases this prints as its own.
# KTAP output. Runs with RXRPC_IMPL=rs|c and RXRPC_MODULE set by the runner.

mod=${RXRPC_MODULE:-rxrpc_rs}
suite=rxrpc_kapi
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n $1"; }
check() { name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else nok "$name"; fi; }
loaded() { grep -q "^$1 " /proc/modules; }

echo "TAP version 13"

# A kernel socket keeps the module in use: rmmod fails until it goes.
rmmod "$mod" 2>/dev/null
check "hold_module_loads" modprobe rxrpc_kapi_hold
check "kernel_socket_loads_module" loaded "$mod"
check "unload_refused_with_kernel_socket" sh -c "! rmmod $mod 2>/dev/null && grep -q '^$mod ' /proc/modules"
check "hold_module_unloads" rmmod rxrpc_kapi_hold
check "unload_after_kernel_socket_released" sh -c "rmmod $mod && ! grep -q '^$mod ' /proc/modules"

# The suite runs as its module loads (which loads ours, a dependency); its
# KTAP goes to the kernel log, after our mark.
mark="rxrpc_kapi.sh: suite start $$"
echo "$mark" > /dev/kmsg
check "test_module_loads" modprobe rxrpc_kapi_test
dmesg | sed -e 's/^\[[^]]*\] \{0,1\}//' |
	awk -v mark="$mark" 'index($0, mark) { on = 1; next } on' > /tmp/kapi.log
rmmod rxrpc_kapi_test 2>/dev/null
# The suite's lines: "    # Subtest", the plan, a line "    ok N name" per
# case after its diagnostics, which are printed as "# ...".
awk -v suite="$suite" '
	$0 ~ "^    # Subtest: " suite "$" { on = 1; next }
	!on { next }
	/^    1\.\.[0-9]+$/ { sub(/^ *1\.\./, ""); print "plan", $0; next }
	/^    (not )?ok [0-9]+ / { sub(/^    /, ""); print "case", $0; next }
	/^(not )?ok [0-9]+ / { exit }
	/[^ ]/ { print "diag", $0 }' /tmp/kapi.log > /tmp/kapi.cases
plan=$(awk '$1 == "plan" { print $2 }' /tmp/kapi.cases)
cases=0
while read -r kind rest; do
	case $kind in
	diag) echo "# $rest" ;;
	case)
		cases=$((cases + 1))
		name=$(echo "$rest" | sed -E 's/^(not )?ok [0-9]+ //')
		case $rest in
		ok*) ok "$name" ;;
		*) nok "$name" ;;
		esac ;;
	esac
done < /tmp/kapi.cases
if [ -z "$plan" ] || [ "$cases" -ne "$plan" ]; then
	nok "suite_reported_every_case (plan ${plan:-none}, $cases reported)"
	sed 's/^/# /' /tmp/kapi.log | tail -40
fi
# Leaves the module loaded, as the next test (rxrpc_unload.sh) expects.
loaded "$mod" || modprobe "$mod"
echo "1..$n"
[ $fail -eq 0 ]
