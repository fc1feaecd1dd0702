# Sourced: build an initramfs for one AF_RXRPC implementation and boot it.
# Only one implementation can be loaded in a kernel (both claim PF_RXRPC and
# the "rxrpc" key type), so each image holds just the one under test.
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

krel=$(ls "$kmods/lib/modules")
selftests="$top/build/selftests"

# vm_image IMPL MODE DIR: fills DIR/root and writes DIR/initramfs.gz.
vm_image() {
	local impl=$1 mode=$2 dir=$3 root=$3/root
	rm -rf "$root"; mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc,lib/modules,tests}
	cp /bin/busybox "$root/bin/busybox"
	cp -a "$kmods/lib/modules/$krel" "$root/lib/modules/"
	local mdir="$root/lib/modules/$krel"
	rm -f "$mdir"/{build,source}
	if [ "$impl" = rs ]; then
		# kafs.ko and rxperf.ko stay: depmod links them to our module.
		rm -f "$mdir/kernel/net/rxrpc/rxrpc.ko"
		mkdir -p "$mdir/extra"; cp "$rsko" "$mdir/extra/"
	fi
	# The kernel API test modules (rxrpc_kapi.sh), if built (selftests).
	if [ -d "$top/build/selftests-kapi" ]; then
		mkdir -p "$mdir/extra"; cp "$top"/build/selftests-kapi/*.ko "$mdir/extra/"
	fi
	depmod -b "$root" "$krel"
	cp -a "$selftests"/. "$root/tests/"
	# VM_TESTS="prog ..." runs just those programs (for development).
	if [ -n "${VM_TESTS:-}" ]; then
		printf '%s\n' $VM_TESTS > "$root/tests/tests"
		cp "$root/tests/tests" "$root/tests/shared"
	fi
	cp "$top/scripts/guest-demo.sh" "$root/tests/demo.sh"
	cp "$top/scripts/guest-init.sh" "$root/init"; chmod 755 "$root/init"
	printf 'impl=%s\nmode=%s\n' "$impl" "$mode" > "$root/etc/rxrpc-test.conf"
	# The stress tests' scale knobs (RXRPC_FLOOD_CONNS=10000 ...), passed on.
	env | grep -E '^RXRPC_(FLOOD|TORTURE)_[A-Z]+=[0-9]+$' |
		sed 's/^/export /' >> "$root/etc/rxrpc-test.conf" || true
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$dir/initramfs.gz"
}

# vm_boot DIR LOG [TIMEOUT]: boots the image under TCG, console to LOG.
vm_boot() {
	local dir=$1 log=$2 limit=${3:-900}
	timeout "$limit" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1536 \
		-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$dir/initramfs.gz" \
		-append "console=ttyS0 loglevel=5 panic=-1 kasan.fault=report" \
		-display none -monitor none -serial stdio -no-reboot \
		</dev/null >"$log" 2>&1
}

# Strips CRs and terminal escapes from a console log.
vm_clean_log() {
	sed -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$1"
}

# The guest's kernel log (between the @@@ DMESG and @@@ END markers) from
# /init on, which guest-init.sh marks: all that the tests and modules can
# have caused (the whole log if the mark is missing). vm_boot_log is what
# came before: early boot, the kernel's own.
vm_dmesg() {
	awk '/^@@@ DMESG/ { d = 1; next } /^@@@ END/ { d = 0 }
		d { line[n++] = $0; if (/rxrpc-rs: guest init/) m = n }
		END { for (i = m; i < n; i++) print line[i] }' "$1"
}
vm_boot_log() {
	awk '/^@@@ DMESG/ { d = 1; next } /^@@@ END/ || /rxrpc-rs: guest init/ { d = 0 } d' "$1"
}

# Reports splats of early boot, before /init: not the modules' (one seen
# under TCG on a loaded host: KASAN wild-memory-access in do_raw_spin_lock
# from handle_edge_irq during identify_cpu), so noted, not failed.
vm_note_boot_splats() { # log name
	if vm_boot_log "$1" | grep -Eq "$splat_pattern"; then
		echo "NOTE $2: a kernel splat in early boot, before /init and any rxrpc module (not counted):"
		vm_boot_log "$1" | grep -E "$splat_pattern" | head -3 | sed 's/^/  | /'
	fi
}

# The kernel log lines that mean a test run is not clean.
splat_pattern='(BUG:|WARNING:|Oops|Kernel panic|general protection|KASAN|UBSAN|possible circular locking|inconsistent lock state|Call Trace:|rust_panic|refcount_t:|still in use at unload)'

# Known bugs of other code, by what their reports hold (no symbol of
# ours matches); README lists them. A log whose only splats are these is
# reported XFAIL, on that code's account, not failed:
# - rxrpc.ko: a connection's timer fires on a freed connection
#   (rxrpc_poke_conn);
# - rxrpc.ko: connections still listed when the namespace or the module
#   goes (BUG at conn_object.c:482, rxrpc_destroy_all_connections);
# - kAFS (6.12): unloading frees an afs_server by RCU while its destroyer
#   work, queued again by the put of its own GiveUpAllCallBacks call, has
#   not run; debugobjects' fixup then sleeps in the RCU softirq, and each
#   later report from that softirq (rcu_core in its trace) follows from it.
known_splat='rxrpc_poke_conn\+|rxrpc_destroy_all_connections\+'
kafs_splat='hint: afs_server_destroyer'
kafs_splat_after='rcu_core\+'
known_splat_why='only known bugs of other code: rxrpc.ko (rxrpc_poke_conn on a freed connection, or connections left at conn_object.c:482) or kAFS (an afs_server freed with its destroyer queued, and what the fixup set off); see README'
vm_unknown_splats() { # the DMESG part of a log on stdin: count splats not known
	# A report runs from "cut here" or its first splat line to the end
	# of its stack trace. A "cut here" right after the line that opened a
	# report is part of it (debugobjects prints its message first).
	awk -v pat="$splat_pattern" -v known="$known_splat" \
	    -v kafs="$kafs_splat" -v after="$kafs_splat_after" '
		function end_report() { if (open && !k) n++; open = 0 }
		/^------------\[ cut here \]/ {
			if (open && body == 0) next
			end_report(); open = 1; k = 0; body = 0; next
		}
		open { body++ }
		!open && $0 ~ pat { open = 1; k = 0; body = 0 }
		open && $0 ~ known { k = 1 }
		open && $0 ~ kafs { k = 1; cascade = 1 }
		open && cascade && $0 ~ after { k = 1 }
		open && (/<\/TASK>/ || /^---\[ end trace/) { end_report() }
		END { end_report(); print n + 0 }'
}
