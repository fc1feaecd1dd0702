#!/usr/bin/env bash
# Runs the kselftests in a QEMU guest against one AF_RXRPC implementation:
# rs (ours, rxrpc-rs.ko) or c (the kernel's rxrpc.ko: the shared subset).
# Prints a line per test and a closing "N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/vm-lib.sh"

impl=${1:-rs}
case $impl in rs|c) ;; *) echo "usage: $0 rs|c"; exit 2 ;; esac
# A directory per run, so that runs at the same time (developers, helpers)
# never share a console log; build/vm-$impl points at the latest.
mkdir -p "$top/build"
dir=$(mktemp -d "$top/build/vm-$impl.XXXXXX")
ln -sfn "$(basename "$dir")" "$top/build/vm-$impl"
trap 'rm -rf "$dir/root" "$dir/initramfs.gz"' EXIT
vm_image "$impl" test "$dir"
log="$dir/console.log"
start=$SECONDS
status=0; vm_boot "$dir" "$log" || status=$?
vm_clean_log "$log" > "$dir/clean.log"

pass=0 fail=0
report() { # result name
	if [ "$1" = ok ]; then pass=$((pass + 1)); echo "PASS $2"; else fail=$((fail + 1)); echo "FAIL $2"; fi
}
awk '
	/^@@@ TEST / { t = $3; n = 0; bad = 0; next }
	/^@@@ EXIT / {
		# A program that failed without saying which test failed.
		if ($4 != 0 && !bad) print "fail", t ".exit_status_" $4
		if (n == 0 && $4 == 0) print "ok", t
		t = ""; next
	}
	/^@@@ DMESG/ { t = ""; next }
	t != "" && /^(not )?ok [0-9]+ / {
		ok = ($1 == "ok"); sub(/^(not )?ok [0-9]+ /, ""); sub(/ # SKIP.*/, " (skipped)")
		n++; if (!ok) bad = 1
		print (ok ? "ok" : "fail"), t "." $0
	}' "$dir/clean.log" > "$dir/results"
while read -r res name; do report "$res" "$name"; done < "$dir/results"

# Every test program must have reported, and the guest must have ended.
grep -q '^@@@ END' "$dir/clean.log" && report ok "guest.completed" ||
	report fail "guest.completed (exit $status; see $log)"
expected=$(cat "$selftests/tests")
[ "$impl" = c ] && expected=$(grep -v '^#' "$selftests/shared")
# VM_TESTS runs just those: only they must have run.
[ -n "${VM_TESTS:-}" ] && expected=$VM_TESTS
for t in $expected; do
	grep -q "^@@@ EXIT $t " "$dir/clean.log" || report fail "$t.ran"
done
vm_note_boot_splats "$dir/clean.log" "guest"
if vm_dmesg "$dir/clean.log" | grep -E "$splat_pattern" > "$dir/splats"; then
	if [ "$impl" = c ] && [ "$(vm_dmesg "$dir/clean.log" | vm_unknown_splats)" = 0 ]; then
		echo "XFAIL guest.kernel_log_clean: $known_splat_why"
		sed 's/^/  | /' "$dir/splats" | head -10
	else
		report fail "guest.kernel_log_clean"; sed 's/^/  | /' "$dir/splats" | head -40
	fi
else
	report ok "guest.kernel_log_clean"
fi

# The guest's CPU (QEMU's max) has AVX2: our module must have passed its
# fcrypt self-test and taken it, so that the rxkad tests ran through it.
if [ "$impl" = rs ]; then
	vm_dmesg "$dir/clean.log" | grep -q 'rxrpc_rs: fcrypt on AVX2$' &&
		report ok "guest.fcrypt_avx2" || report fail "guest.fcrypt_avx2"
fi

echo "vm-test[$impl]: $((SECONDS - start)) s in the guest"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
