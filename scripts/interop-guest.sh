#!/bin/sh
# The interop run inside one guest (installed as /tests/demo.sh, which
# guest-init.sh runs). Both guests walk the same cell list in lockstep,
# meeting at UDP barriers (rxrpc_xfer barrier): for each cell, the server
# side starts its server, both meet, the client side calls. Every step has
# a time limit, and a closing barrier per cell brings the two back in step
# whatever happened. Results are "@@@ CELL id side RESULT ..." lines.
. /etc/interop.conf	# me (c|rs), myip, peerip, kadkey
say() { echo "interop: $*"; }
x=/tests/rxrpc_xfer

ip addr add "$myip/24" dev eth0
ip link set eth0 up
# The link only: no default route, no other interface but lo.
say "$me at $myip, peer $peerip; routes: $(ip route | tr '\n' ';')"
say "modules before: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

netem() { # condition
	/usr/sbin/tc qdisc del dev eth0 root 2>/dev/null
	case $1 in
	clean) ;;
	loss5) /usr/sbin/tc qdisc add dev eth0 root netem loss 5% ;;
	reorder) /usr/sbin/tc qdisc add dev eth0 root netem delay 10ms reorder 25% 50% ;;
	dup1) /usr/sbin/tc qdisc add dev eth0 root netem duplicate 1% ;;
	*) say "unknown condition $1"; return 1 ;;
	esac
}

if ! $x barrier "$peerip" boot 300; then
	say "BOOT: the peer never showed up"
fi
say "peer reached"

cond=clean
while read -r id dir size c kind limit; do
	[ -z "$id" ] && continue
	if [ "$c" != "$cond" ]; then
		netem clean
		$x barrier "$peerip" "pre-$id" 60 >/dev/null
		if netem "$c"; then
			say "condition $c: $(/usr/sbin/tc qdisc show dev eth0 | head -1)"
		else
			say "condition $c: tc failed"
		fi
		cond=$c
	fi
	case $dir in
	rs2c) server=c ;;
	c2rs) server=rs ;;
	esac
	upg=0
	[ "$kind" = upgrade ] && upg=1235
	# kad0, kad1, kad2: rxkad at that level, the run's DES key on both sides.
	kad=""
	case $kind in kad[012]) kad="--level ${kind#kad} --key $kadkey" ;; esac
	if [ "$me" = "$server" ]; then
		$x $kad server 7009 1234 $upg "$limit" > /tmp/s.$id 2>&1 &
		pid=$!
		n=0
		while ! grep -q READY /tmp/s.$id && [ $n -lt 200 ]; do
			sleep 0.1; n=$((n + 1))
		done
		$x barrier "$peerip" "cell-$id" 60 >/dev/null
		# The tool ends itself after $limit s; this is the backstop.
		(sleep $((limit + 15)); kill -9 $pid 2>/dev/null) &
		dog=$!
		wait $pid
		kill $dog 2>/dev/null
		res=$(grep '^RESULT' /tmp/s.$id | tail -1)
		[ -z "$res" ] && res="RESULT server FAIL no result: $(tr '\n' ' ' < /tmp/s.$id | cut -c1-200)"
		grep -v -e '^RESULT' -e '^READY' /tmp/s.$id | sed "s/^/interop: cell $id: /"
	else
		$x barrier "$peerip" "cell-$id" 60 >/dev/null
		$x $kad client "$peerip" 7009 1234 "$size" $((20000 + id)) "$kind" "$limit" > /tmp/c.$id 2>&1 &
		pid=$!
		(sleep $((limit + 15)); kill -9 $pid 2>/dev/null) &
		dog=$!
		wait $pid
		kill $dog 2>/dev/null
		res=$(grep '^RESULT' /tmp/c.$id | tail -1)
		[ -z "$res" ] && res="RESULT client FAIL no result: $(tr '\n' ' ' < /tmp/c.$id | cut -c1-200)"
	fi
	echo "@@@ CELL $id $res"
	$x barrier "$peerip" "done-$id" $((limit + 60)) >/dev/null
done < /tests/cells
netem clean
$x barrier "$peerip" end 30 >/dev/null
say "modules after: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
say "finished"
