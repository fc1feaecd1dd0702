#!/bin/sh
# The kAFS run inside one guest (installed as /tests/demo.sh, which
# guest-init.sh runs). Guest A ("afs", 192.0.2.1) makes a one-host OpenAFS
# cell (Debian's vlserver, ptserver and the demand-attach fileserver,
# -noauth: the NoAuth file) and mounts it itself with kafs.ko on the C
# rxrpc.ko, as the second AFS client of the callback check. Guest B
# ("kafs", 192.0.2.2) loads kafs.ko on the AF_RXRPC module under test and
# runs the checks. They meet at UDP barriers (rxrpc_xfer barrier, port
# 9999). Results are "@@@ CHECK name PASS|FAIL|SKIP detail" lines; the host
# (scripts/kafs.sh) judges them and the kernel logs.
. /etc/kafs.conf	# me (afs|kafs), myip, peerip, cell, afsip
say() { echo "kafs: $*"; }
x=/tests/rxrpc_xfer
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mnt=/mnt/afs
# What A writes into the callback file through its own kafs mount: B must
# see this, not what it cached, once the fileserver breaks its callback.
cb_text="changed on guest A by a second AFS client"

ip addr add "$myip/24" dev eth0
ip link set eth0 up
say "$me at $myip, peer $peerip; routes: $(ip route | tr '\n' ';')"
say "modules before: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# check NAME LIMIT_S FUNC [ARGS]: runs FUNC in a subshell with set -e,
# bounded by LIMIT_S. A task stuck in the kernel cannot be killed, so a
# check that overruns is killed if it can be and then left behind: the
# next checks still run and the guest still finishes. The last line FUNC
# prints is the detail; all of it goes to the console.
check() {
	local name=$1 limit=$2 out=/tmp/check.$1 pid n=0 rc res t0
	shift 2
	t0=$(now)
	( set -e; "$@" ) > "$out" 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null && [ $n -lt $((limit * 10)) ]; do
		sleep 0.1; n=$((n + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		kill -9 $pid 2>/dev/null
		res="FAIL timed out after $limit s: $(tail -1 "$out")"
		# Whatever hung holds kAFS or the module: what follows would
		# hang the same way, one limit after the other.
		echo "$name" > /tmp/wedged
	else
		wait $pid; rc=$?
		if [ $rc = 0 ]; then res="PASS $(tail -1 "$out")"
		else res="FAIL (exit $rc) $(tail -1 "$out")"; fi
	fi
	sed "s/^/kafs: $name: /" "$out"
	echo "${res%% *}" > "/tmp/res.$name"
	echo "@@@ $ck $name $res ($(since "$t0") s)"
}
# Guest A's own steps (its mount, its change) are prerequisites of the
# callback check, not checks: "@@@ STEP" lines, which the host only shows.
ck=CHECK
step() { ck=STEP; check "$@"; ck=CHECK; }

# need NAME DEP...: true if every DEP passed; otherwise reports NAME as
# skipped (the host counts a skip as a failure).
need() {
	local name=$1 d
	shift
	if [ -f /tmp/wedged ]; then
		echo SKIP > "/tmp/res.$name"
		echo "@@@ CHECK $name SKIP not run: $(cat /tmp/wedged) hung in the kernel"
		return 1
	fi
	for d in "$@"; do
		if [ "$(cat "/tmp/res.$d" 2>/dev/null)" != PASS ]; then
			echo SKIP > "/tmp/res.$name"
			echo "@@@ CHECK $name SKIP not run: $d did not pass"
			return 1
		fi
	done
}

# bounded LIMIT_S CMD...: CMD's output, or a note if it does not finish in
# LIMIT_S (a read of /proc can block on a lock a hung task holds); for
# diagnostics.
bounded() {
	local limit=$1 pid n=0
	shift
	"$@" > /tmp/bounded 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null && [ $n -lt $((limit * 10)) ]; do
		sleep 0.1; n=$((n + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		kill -9 $pid 2>/dev/null
		echo "($* did not finish in $limit s)"
	else
		cat /tmp/bounded
	fi
}

# meet NAME LIMIT_S: the barrier NAME with the peer. Once one barrier has
# timed out the peer is taken as gone (hung, or stopped) and the later ones
# wait 20 s each, so that this guest still finishes in good time.
meet() {
	local limit=$2
	[ -f /tmp/peer-lost ] && limit=20
	$x barrier "$peerip" "$1" "$limit" > /dev/null && return 0
	say "barrier $1: no peer after $limit s"
	: > /tmp/peer-lost
	return 1
}

# kafs.ko alone: kAFS finds the cell's VL server through the key upcall,
# answered by our /sbin/request-key from /etc/kafs-cells (kafs-client's
# kafs-dns is not here). Not kafs.ko's rootcell=cell:ip: 6.12 parses that
# before it opens its socket and oopses on the NULL socket
# (rxrpc_kernel_lookup_peer from afs_cell_init, a kAFS bug); nor a cell
# added in /proc/fs/afs/cells: the mount still asks the DNS for it.
load_kafs() {
	modprobe kafs
}

# ---------------------------------------------------------------- guest A
if [ "$me" = afs ]; then
	vos="vos"
	# ubik and the fileserver find their own address by the host name.
	hostname afsdb
	cell_up() {
		local n=0 v p
		# The vlserver needs its -noauth flag (the NoAuth file alone does
		# not let anonymous vos write the VLDB); the others read NoAuth.
		/usr/lib/openafs/vlserver -noauth &
		/usr/lib/openafs/ptserver &
		# Both ubik servers must be the sync site and recovered (state
		# 1f) before the fileserver registers and vos writes the VLDB.
		while [ $n -lt 180 ]; do
			v=$(udebug "$myip" 7003 2>&1 | grep -c -e 'I am sync site' -e 'Recovery state 1f' || true)
			p=$(udebug "$myip" 7002 2>&1 | grep -c -e 'I am sync site' -e 'Recovery state 1f' || true)
			[ "$v" = 2 ] && [ "$p" = 2 ] && break
			sleep 1; n=$((n + 1))
		done
		[ "$v" = 2 ] && [ "$p" = 2 ] || { echo "ubik not ready after $n s (vl $v/2, pt $p/2)"; return 1; }
		echo "vlserver, ptserver ready after $n s"
		# Demand-attach: the salvage server first, then the file and
		# volume servers (they meet over FSSYNC/SALVSYNC on loopback).
		/usr/lib/openafs/salvageserver &
		/usr/lib/openafs/dafileserver &
		/usr/lib/openafs/davolserver &
		n=0
		until $vos listpart "$myip" -noauth > /tmp/listpart 2>&1; do
			sleep 2; n=$((n + 2))
			[ $n -ge 240 ] && { cat /tmp/listpart; echo "volserver not answering after $n s"; return 1; }
		done
		echo "volserver answers after $n s: $(tr '\n' ' ' < /tmp/listpart)"
		$vos create "$myip" a root.afs -noauth
		$vos create "$myip" a root.cell -noauth
		# kAFS finds the fileserver by UUID (VL_GetAddrsU): it must be
		# registered, or 6.12's kAFS oopses (afs_put_addrlist).
		n=0
		until $vos listaddrs -printuuid -noauth 2>&1 | grep -q "$myip\|afsdb"; do
			sleep 2; n=$((n + 2))
			[ $n -ge 120 ] && { echo "fileserver not registered in the VLDB after $n s"; return 1; }
		done
		echo "fileserver in the VLDB after $n s: $($vos listaddrs -printuuid -noauth 2>&1 | tr '\n' ' ')"
		# A fresh volume's root ACL admits system:administrators only and
		# -noauth callers are anonymous: add system:anyuser rlidwka in a
		# dump and restore it over the volume, then lift the 5 MB quota.
		$vos dump -id root.cell -file /tmp/root.cell.dump -noauth
		/tests/patchacl /tmp/root.cell.dump /tmp/root.cell.open
		$vos restore "$myip" a root.cell -file /tmp/root.cell.open -overwrite full -noauth
		$vos setfields -id root.cell -maxquota 0 -noauth
		$vos examine root.cell -noauth
		echo "cell $cell: root.afs, root.cell (ACL open, no quota) on $myip /vicepa"
	}
	check cell 600 cell_up

	# The second AFS client, on the C rxrpc.ko: its changes make the
	# fileserver break guest B's callbacks.
	a_mount() {
		load_kafs
		mkdir -p $mnt
		mount -t afs "%$cell:root.cell" $mnt
		ls -la $mnt
		echo "A mounted $cell:root.cell"
	}
	[ "$(cat /tmp/res.cell)" = PASS ] && step a-mount 180 a_mount
	meet cell-ready 300
	# B runs its checks up to the callback one.
	meet cb-ready 600
	a_change() {
		# The 32 MiB file as the server has it, read by the other client.
		[ -f $mnt/big ] && echo "@@@ INFO a-md5 $(md5sum < $mnt/big | cut -d' ' -f1)"
		echo "$cb_text" > $mnt/cb
		sync
		echo "A wrote $mnt/cb: $(stat -c %s $mnt/cb) bytes"
	}
	[ "$(cat /tmp/res.a-mount 2>/dev/null)" = PASS ] && step a-change 120 a_change
	meet cb-changed 180
	meet b-done 500
	grep " $mnt " /proc/mounts > /dev/null && bounded 60 umount $mnt
	for f in /var/log/openafs/*Log; do [ -f "$f" ] && sed "s|^|kafs: ${f##*/}: |" "$f"; done
	say "afs servers: $(bounded 10 cat /proc/fs/afs/servers | tr '\n' ';')"
fi

# ---------------------------------------------------------------- guest B
if [ "$me" = kafs ]; then
	meet cell-ready 900

	t_modprobe() {
		if ! load_kafs > /tmp/modprobe 2>&1; then
			cat /tmp/modprobe
			dmesg | grep -i 'unknown symbol' | head -5
			echo "modprobe kafs failed: $(dmesg | grep -ci 'unknown symbol') unknown symbol(s) in dmesg, e.g. $(dmesg | grep -i 'unknown symbol' | head -1 | sed 's/.*: //')"
			return 1
		fi
		grep -q "^$RXRPC_MODULE " /proc/modules ||
			{ echo "kafs loaded, but $RXRPC_MODULE is not"; return 1; }
		echo "kafs on $RXRPC_MODULE: $(grep -E "^($RXRPC_MODULE|kafs) " /proc/modules | cut -d' ' -f1,3,4 | tr '\n' ';')"
	}
	t_mount() {
		mkdir -p $mnt
		mount -t afs "%$cell:root.cell" $mnt
		grep " $mnt " /proc/mounts
	}
	t_ls() {
		ls -la $mnt
		echo "ls $mnt: $(ls -a $mnt | wc -l) entries"
	}
	t_mkdir() {
		mkdir $mnt/dir1
		[ -d $mnt/dir1 ]
		ls $mnt | grep -qx dir1
		echo "mkdir $mnt/dir1"
	}
	t_create() {
		echo "hello from guest B" > $mnt/dir1/f
		[ "$(cat $mnt/dir1/f)" = "hello from guest B" ]
		echo "created $mnt/dir1/f, $(stat -c %s $mnt/dir1/f) bytes"
	}
	t_big() {
		local t0 tw tr sum
		dd if=/dev/urandom of=/tmp/big bs=1M count=32 2>/dev/null
		sum=$(md5sum < /tmp/big | cut -d' ' -f1)
		echo "@@@ INFO b-md5 $sum"
		t0=$(now)
		cp /tmp/big $mnt/big
		sync
		tw=$(since "$t0")
		# Read it back from the fileserver, not the page cache.
		echo 3 > /proc/sys/vm/drop_caches
		t0=$(now)
		cmp /tmp/big $mnt/big
		tr=$(since "$t0")
		[ "$(stat -c %s $mnt/big)" = 33554432 ]
		echo "32 MiB written in $tw s, read back byte-exact in $tr s (md5 $sum)"
	}
	t_rename() {
		mv $mnt/dir1/f $mnt/dir1/g
		[ ! -e $mnt/dir1/f ]
		[ "$(cat $mnt/dir1/g)" = "hello from guest B" ]
		# And across directories of the volume.
		mv $mnt/dir1/g $mnt/g2
		[ ! -e $mnt/dir1/g ]
		[ "$(cat $mnt/g2)" = "hello from guest B" ]
		echo "renamed dir1/f -> dir1/g -> g2"
	}
	t_unlink() {
		rm $mnt/g2
		[ ! -e $mnt/g2 ]
		if ls $mnt | grep -qx g2; then echo "g2 still listed"; return 1; fi
		rmdir $mnt/dir1
		[ ! -e $mnt/dir1 ]
		echo "unlinked g2, removed dir1"
	}
	# The callback file: B creates and reads it (kafs holds a callback
	# promise for it), A rewrites it through its own mount.
	t_cb_prep() {
		echo before > $mnt/cb
		sync
		[ "$(cat $mnt/cb)" = before ]
		echo "cb: $(stat -c %s $mnt/cb) bytes, cached"
	}
	t_callback() {
		local n=0 want
		want=$(($(printf '%s\n' "$cb_text" | wc -c)))
		# The break comes before A's store returns; kafs acts on it in a
		# work item, so allow it a moment.
		while [ "$(stat -c %s $mnt/cb)" != "$want" ] && [ $n -lt 30 ]; do
			sleep 0.5; n=$((n + 1))
		done
		stat -c '%s %y' $mnt/cb
		[ "$(stat -c %s $mnt/cb)" = "$want" ] ||
			{ echo "still $(stat -c %s $mnt/cb) bytes, A wrote $want: no callback break seen"; return 1; }
		[ "$(cat $mnt/cb)" = "$cb_text" ] || { echo "size changed, content did not"; return 1; }
		echo "B sees A's change: $want bytes, the new content (after $((n / 2)) s)"
	}
	t_dynroot() {
		mkdir -p /afs
		mount -t afs none /afs -o dyn
		ls /afs
		ls -la "/afs/$cell/"
		ls "/afs/$cell/" | grep -qx big
		echo "dynamic root: /afs/$cell/ holds $(ls "/afs/$cell/" | tr '\n' ' ')"
	}
	t_unload() {
		local m
		# Deepest first: the automounted cell under /afs, then /afs, the mount.
		for m in $(awk '$3 == "afs" { print $2 }' /proc/mounts | sort -r); do
			umount "$m"
		done
		if grep ' afs ' /proc/mounts; then echo "afs still mounted"; return 1; fi
		rmmod kafs
		rmmod "$RXRPC_MODULE"
		if grep -E "^(kafs|rxrpc|rxrpc_rs) " /proc/modules; then echo "modules left"; return 1; fi
		echo "unmounted, kafs and $RXRPC_MODULE unloaded; left: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
	}

	check modprobe 60 t_modprobe
	need mount modprobe && check mount 120 t_mount
	need ls-root mount && check ls-root 60 t_ls
	need mkdir mount && check mkdir 60 t_mkdir
	need create mkdir && check create 60 t_create
	need big-32m mount && check big-32m 400 t_big
	need rename create && check rename 60 t_rename
	need unlink rename && check unlink 60 t_unlink
	need cb-prep mount && check cb-prep 60 t_cb_prep
	meet cb-ready 300
	# A rewrites the file now.
	meet cb-changed 180
	need callback cb-prep && check callback 60 t_callback
	need dynroot modprobe && check dynroot 120 t_dynroot
	say "afs servers: $(bounded 10 cat /proc/fs/afs/servers | tr '\n' ';')"
	say "rxrpc calls: $(bounded 10 cat /proc/net/rxrpc/calls | tr '\n' ';')"
	say "rxrpc peers: $(bounded 10 cat /proc/net/rxrpc/peers | tr '\n' ';')"
	need unload modprobe && check unload 180 t_unload
	meet b-done 120
fi
meet end 60
say "modules after: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
say "finished"
