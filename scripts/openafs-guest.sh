#!/bin/sh
# The OpenAFS run inside one guest (installed as /tests/demo.sh, which
# guest-init.sh runs). Guest A ("afs", 192.0.2.1) runs Debian's OpenAFS
# vlserver and ptserver (-noauth: the NoAuth file), guest B ("rx",
# 192.0.2.2) the AF_RXRPC module under test. They meet at UDP barriers
# (rxrpc_xfer barrier): once A's servers are up, B makes the RPC rows with
# afs_rpc; then B holds a bound AF_RXRPC socket on port 7001 while A runs
# rxdebug against it. Then A restarts its servers with authentication (no
# -noauth, no NoAuth; the KeyFile and UserList the host wrote) and B makes
# the rxkad rows. Results are "@@@ ROW name RESULT ..." lines.
. /etc/openafs.conf	# me (afs|rx), myip, peerip, kadkey, kvno
say() { echo "openafs: $*"; }
x=/tests/rxrpc_xfer
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

ip addr add "$myip/24" dev eth0
ip link set eth0 up
say "$me at $myip, peer $peerip; routes: $(ip route | tr '\n' ';')"
say "modules before: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

# row NAME LIMIT_S CMD...: runs one row, bounded, and prints its result.
row() {
	local name=$1 limit=$2 out=/tmp/row.$1 pid dog res
	shift 2
	"$@" > "$out" 2>&1 &
	pid=$!
	(sleep "$limit"; kill -9 $pid 2>/dev/null) &
	dog=$!
	wait $pid
	kill $dog 2>/dev/null
	grep -v '^RESULT' "$out" | sed "s/^/openafs: $name: /"
	res=$(grep '^RESULT' "$out" | tail -1)
	[ -z "$res" ] && res="RESULT FAIL no result: $(tr '\n' ' ' < "$out" | cut -c1-200)"
	echo "@@@ ROW $name $res"
}

# Ready when both ubik servers are the sync site and have recovered
# (state 1f); a write before that gets UNOQUORUM.
wait_servers() { # phase
	n=0
	while [ $n -lt 120 ]; do
		v=$(udebug 192.0.2.1 7003 2>&1 | grep -c -e 'I am sync site' -e 'Recovery state 1f')
		p=$(udebug 192.0.2.1 7002 2>&1 | grep -c -e 'I am sync site' -e 'Recovery state 1f')
		[ "$v" = 2 ] && [ "$p" = 2 ] && break
		sleep 1; n=$((n + 1))
	done
	say "servers$1: vlserver ready=$v/2 ptserver ready=$p/2 after ${n} s; $(netstat -uln | grep -c ':700[23] ') ports"
}

if [ "$me" = afs ]; then
	# ubik finds its own address by the host name: make it ours.
	hostname afsdb
	/usr/lib/openafs/vlserver -noauth &
	vpid=$!
	/usr/lib/openafs/ptserver &
	ppid=$!
	wait_servers ""
	$x barrier "$peerip" ready 300 >/dev/null || say "BOOT: the peer never showed up"
	# B makes its calls now.
	$x barrier "$peerip" rows-done 480 >/dev/null
	$x barrier "$peerip" listening 60 >/dev/null
	# rxdebug prints no RESULT line: the host reads what it printed.
	timeout 60 rxdebug "$peerip" 7001 -version > /tmp/ver 2>&1
	echo "@@@ ROW rxdebug-version RESULT exit $?: $(tr '\n' '|' < /tmp/ver)"
	# rxdebug without -version asks for statistics (DEBUG packets):
	# rxdebug tries for 31 s; 8 s (tries at 0, 1, 3 and 7 s) is enough
	# to tell an answer from none. Stats only, then with a call in
	# progress: cmdebug calls the cache manager service (1) at B's port
	# 7001, whose listener takes it on its one charge and never answers;
	# rxdebug lists that connection, then the peers and rx statistics.
	timeout 8 rxdebug "$peerip" 7001 -noconns > /tmp/dbg 2>&1
	echo "@@@ ROW rxdebug-stats RESULT exit $?: $(tr '\n' '|' < /tmp/dbg | cut -c1-600)"
	timeout 30 cmdebug "$peerip" -port 7001 > /tmp/cmdebug 2>&1 &
	c=$!
	sleep 2
	timeout 8 rxdebug "$peerip" 7001 > /tmp/dbg 2>&1
	echo "@@@ ROW rxdebug-conns RESULT exit $?: $(tr '\n' '|' < /tmp/dbg | cut -c1-1500)"
	timeout 8 rxdebug "$peerip" 7001 -noconns -rxstats -peers > /tmp/dbg 2>&1
	echo "@@@ ROW rxdebug-rxstats RESULT exit $?: $(tr '\n' '|' < /tmp/dbg | cut -c1-2500)"
	kill $c 2>/dev/null; wait $c 2>/dev/null
	$x barrier "$peerip" rxdebug-done 60 >/dev/null
	# Authentication on: the same servers and databases, started again
	# without -noauth and with no NoAuth file anywhere.
	kill $vpid $ppid; wait $vpid $ppid 2>/dev/null
	rm -f /etc/openafs/server/NoAuth /var/lib/openafs/local/NoAuth
	/usr/lib/openafs/vlserver &
	vpid=$!
	/usr/lib/openafs/ptserver &
	ppid=$!
	wait_servers " (authenticated)"
	$x barrier "$peerip" auth-on 120 >/dev/null
	$x barrier "$peerip" auth-done 480 >/dev/null
	for f in /var/log/openafs/*Log; do sed "s|^|openafs: ${f##*/}: |" "$f"; done
else
	$x barrier "$peerip" ready 300 >/dev/null || say "BOOT: the peer never showed up"
	a=/tests/afs_rpc
	row vl-probe 60 $a vl-probe "$peerip" 20001
	row vl-create 60 $a vl-create "$peerip" 20002 rxrpc.interop 536870915
	row vl-lookup 60 $a vl-lookup "$peerip" 20003 rxrpc.interop 536870915
	row vl-noent 60 $a vl-noent "$peerip" 20004 rxrpc.missing
	row pt-nametoid 60 $a pt-nametoid "$peerip" 20005
	row pt-bulk 60 $a pt-bulk "$peerip" 20006 40
	row pt-idtoname 60 $a pt-idtoname "$peerip" 20007 40
	$x barrier "$peerip" rows-done 60 >/dev/null
	$a listen 7001 1 120 > /tmp/listen 2>&1 &
	l=$!
	n=0
	while ! grep -q READY /tmp/listen && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	say "listener: $(tr '\n' ' ' < /tmp/listen)"
	$x barrier "$peerip" listening 60 >/dev/null
	$x barrier "$peerip" rxdebug-done 120 >/dev/null
	kill $l 2>/dev/null
	$x barrier "$peerip" auth-on 180 >/dev/null
	kad="--key $kadkey --kvno $kvno"
	row vl-auth-perm 60 $a vl-perm "$peerip" 20011 rxrpc.noauth 536870918
	for l in 0 1 2; do
		row vl-kad$l 60 $a --level $l $kad vl-create-lookup "$peerip" $((20012 + l)) \
			rxrpc.kad$l $((536870921 + 3 * l))
	done
	for l in 0 1 2; do
		row pt-kad$l 60 $a --level $l $kad --name afs pt-bulk-idtoname "$peerip" $((20015 + l)) 40
	done
	row vl-kad-expired 60 $a --level 2 $kad --expired vl-expired "$peerip" 20018
	$x barrier "$peerip" auth-done 60 >/dev/null
fi
$x barrier "$peerip" end 30 >/dev/null
say "modules after: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
say "finished"
