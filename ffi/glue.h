/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C wrappers for the static inline functions, macros, bitfields and unions
 * rxrpc-rs needs, so that all protocol logic stays in Rust.
 */
#ifndef RXRPC_RS_GLUE_H
#define RXRPC_RS_GLUE_H

#include <linux/skbuff.h>
#include <linux/sockptr.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct sock;
struct key;
struct net;
struct socket;

void rxrpc_rs_sock_put(struct sock *sk);
void rxrpc_rs_sock_hold(struct sock *sk);
void rxrpc_rs_sock_orphan(struct sock *sk);
void rxrpc_rs_sock_set_rcu_free(struct sock *sk);
void rxrpc_rs_lock_sock(struct sock *sk);
void rxrpc_rs_sk_data_ready(struct sock *sk);
void rxrpc_rs_sk_write_space(struct sock *sk);
int rxrpc_rs_sock_buf(const struct sock *sk, bool send);
struct net *rxrpc_rs_sock_net(const struct sock *sk);
int rxrpc_rs_copy_from_sockptr(void *dst, sockptr_t src, size_t len);
const char *rxrpc_rs_key_description(const struct key *key);
int rxrpc_rs_request_key(struct key_type *type, const char *desc, struct net *net,
			 struct key **keyp);
void rxrpc_rs_key_put(struct key *key);
u32 rxrpc_rs_random_u32(void);
void **rxrpc_rs_key_payload(struct key *key);

/* A transport address as the engine sees it: family, address, port. */
struct rxrpc_rs_addr {
	u16 family;	/* AF_INET or AF_INET6 */
	u16 port;	/* host order */
	u8 addr[16];	/* network order; 4 bytes used for AF_INET */
};

/* An ICMP error about a peer, waiting for the work item. */
struct rxrpc_rs_icmp {
	struct rxrpc_rs_addr peer;
	int err;
};

#define RXRPC_RS_ICMP_RING 16
/*
 * Received packets queued beyond these (count, or bytes of skb truesize)
 * are dropped, as by a full UDP socket: a bound on memory.
 */
#define RXRPC_RS_RX_QUEUE_MAX 4096
#define RXRPC_RS_RX_QUEUE_BYTES (8 << 20)

/* The kernel side of one local endpoint: UDP socket, receive queue, work, timer. */
struct rxrpc_rs_io {
	struct socket *udp;
	struct sk_buff_head rx_queue;
	atomic_t rx_queue_bytes;
	struct work_struct work;
	struct timer_list timer;
	spinlock_t icmp_lock;
	unsigned int icmp_head, icmp_count;
	struct rxrpc_rs_icmp icmp[RXRPC_RS_ICMP_RING];
};

void rxrpc_rs_io_init(struct rxrpc_rs_io *io);
int rxrpc_rs_io_open(struct rxrpc_rs_io *io, struct net *net,
		     const struct rxrpc_rs_addr *local_addr);
void rxrpc_rs_io_close(struct rxrpc_rs_io *io);
void rxrpc_rs_io_arm(struct rxrpc_rs_io *io, unsigned long delay_ns);
u64 rxrpc_rs_now_ns(void);
int rxrpc_rs_io_next(struct rxrpc_rs_io *io, struct rxrpc_rs_addr *from,
		     void *buf, size_t cap);
int rxrpc_rs_io_next_icmp(struct rxrpc_rs_io *io, struct rxrpc_rs_addr *peer);
int rxrpc_rs_io_send(struct rxrpc_rs_io *io, const struct rxrpc_rs_addr *to,
		     const void *data, size_t len);

struct msghdr;
struct file;
struct poll_table_struct;

/* Messages: control data, payload, name. */
void *rxrpc_rs_cmsg_next(struct msghdr *msg, void *prev, int *level, int *type,
			 void **data, size_t *len, int *bad);
int rxrpc_rs_getsockopt_int(char __user *optval, int __user *optlen, int val);
size_t rxrpc_rs_msg_left(struct msghdr *msg);
size_t rxrpc_rs_copy_from_msg(struct msghdr *msg, void *buf, size_t len);
size_t rxrpc_rs_copy_to_msg(struct msghdr *msg, const void *buf, size_t len);
void rxrpc_rs_msg_revert(struct msghdr *msg, size_t len);
void rxrpc_rs_msg_set_name(struct msghdr *msg, const void *name, int len);
int rxrpc_rs_msg_put_cmsg(struct msghdr *msg, int type, const void *data, int len);

/* Waiting on a socket: for *gen to move away from seen. */
long rxrpc_rs_sock_timeo(struct sock *sk, bool send, bool nonblock);
long rxrpc_rs_wait(struct sock *sk, const u32 *gen, u32 seen, long timeo);
void rxrpc_rs_poll_wait(struct file *file, struct socket *sock,
			struct poll_table_struct *wait);

/* sysctl net.rxrpc: the table is here, the values are read from Rust. */
int rxrpc_rs_sysctl_register(void);
void rxrpc_rs_sysctl_unregister(void);
unsigned int rxrpc_rs_max_backlog(void);
unsigned int rxrpc_rs_rx_window_size(void);

/* Implemented in Rust. */
void rxrpc_rs_io_work(struct rxrpc_rs_io *io);

#endif
