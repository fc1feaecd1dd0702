#!/bin/sh
# The demo run in the guest by `make run`, for the implementation in
# $RXRPC_IMPL: an AF_RXRPC server and client exchange a request and a reply
# over loopback, as far as the implementation gets today.
say() { echo "demo: $*"; }

say "kernel $(uname -r), AF_RXRPC implementation: $RXRPC_IMPL ($RXRPC_MODULE)"
./rxrpc_socket -t create_inet >/dev/null 2>&1
if grep -q "^$RXRPC_MODULE " /proc/modules; then
	say "socket(AF_RXRPC, SOCK_DGRAM, PF_INET) autoloaded $RXRPC_MODULE"
else
	say "socket(AF_RXRPC) did not load $RXRPC_MODULE"; exit 1
fi
./rxrpc_key -t server_key_ok -t client_key_xdr_read_back >/dev/null 2>&1 &&
	say "key types: an rxrpc_s server key and an rxrpc XDR token key round-trip"

./rxrpc_call server 7000 100 1 > /tmp/server.log 2>&1 &
server=$!
sleep 1
./rxrpc_call client 127.0.0.1 7000 100 "hello over AF_RXRPC" > /tmp/client.log 2>&1
client=$?
sleep 1
kill $server 2>/dev/null
wait $server 2>/dev/null
sed 's/^/demo: /' /tmp/server.log /tmp/client.log
if [ $client = 0 ]; then
	say "RESULT: a request and its reply crossed $RXRPC_MODULE"
else
	say "RESULT: no call over $RXRPC_MODULE yet"
fi
