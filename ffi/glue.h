/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C wrappers for the static inline functions and macros rxrpc-rs needs.
 * Each one is a single call so that all the logic stays in Rust.
 */
#ifndef RXRPC_RS_GLUE_H
#define RXRPC_RS_GLUE_H

struct sock;
struct key;

void rxrpc_rs_sock_put(struct sock *sk);
void rxrpc_rs_sock_orphan(struct sock *sk);
void rxrpc_rs_sock_set_rcu_free(struct sock *sk);
void rxrpc_rs_lock_sock(struct sock *sk);
const char *rxrpc_rs_key_description(const struct key *key);
void **rxrpc_rs_key_payload(struct key *key);

#endif
