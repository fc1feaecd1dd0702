#!/usr/bin/env bash
# make run: boot the test kernel with our module and show an RxRPC call
# between a server and a client program. Where our module cannot do that
# yet, it says so, and shows the same programs on the C rxrpc.ko for
# reference.
set -euo pipefail
. "$(dirname "$0")/vm-lib.sh"

show() { # impl
	local dir="$top/build/run-$1"; mkdir -p "$dir"
	vm_image "$1" demo "$dir"
	vm_boot "$dir" "$dir/console.log" 300 || true
	vm_clean_log "$dir/console.log" | grep '^demo: ' | sed "s/^demo: /[$1] /"
}

echo "== rxrpc-rs: our module (rxrpc-rs.ko) in a QEMU guest"
show rs | tee "$top/build/run-rs.out"
if ! grep -q 'RESULT: a request and its reply' "$top/build/run-rs.out"; then
	echo
	echo "== Not there yet: the socket API on our engine (issue #5) is what"
	echo "== makes calls work on rxrpc-rs.ko. For reference, the same programs"
	echo "== on the kernel's C rxrpc.ko:"
	show c
fi
