// SPDX-License-Identifier: GPL-2.0
/* C wrappers for static inlines, called from the Rust FFI layer. */
#include <linux/key.h>
#include <net/sock.h>
#include "glue.h"

void rxrpc_rs_sock_put(struct sock *sk)
{
	sock_put(sk);
}

void rxrpc_rs_sock_orphan(struct sock *sk)
{
	sock_orphan(sk);
}

void rxrpc_rs_sock_set_rcu_free(struct sock *sk)
{
	sock_set_flag(sk, SOCK_RCU_FREE);
}

void rxrpc_rs_lock_sock(struct sock *sk)
{
	lock_sock(sk);
}

const char *rxrpc_rs_key_description(const struct key *key)
{
	return key->description;
}

void **rxrpc_rs_key_payload(struct key *key)
{
	return key->payload.data;
}
