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
	struct rxrpc_rs_addr local;	/* as bound (the port the kernel picked) */
	atomic64_t rx_dropped;		/* received packets dropped: queue full */
	atomic64_t tx_data_fail;	/* DATA packets the UDP socket refused */
};

/* What /proc/net/rxrpc shows of an endpoint's kernel side. */
struct rxrpc_rs_io_info {
	struct rxrpc_rs_addr local;
	u32 rx_queued;
	u64 rx_dropped;
	u64 tx_data_fail;
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
void rxrpc_rs_io_info(struct rxrpc_rs_io *io, struct rxrpc_rs_io_info *info);

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
int rxrpc_rs_wait_waitall(struct sock *sk, const u32 *gen, u32 seen, u64 wait_ns);
void rxrpc_rs_poll_wait(struct file *file, struct socket *sock,
			struct poll_table_struct *wait);

/* sysctl net.rxrpc: the table is here, the values are read from Rust. */
int rxrpc_rs_sysctl_register(void);
void rxrpc_rs_sysctl_unregister(void);
unsigned int rxrpc_rs_max_backlog(void);
unsigned int rxrpc_rs_rx_window_size(void);

/*
 * /proc/net/rxrpc/{calls,conns,bundles,peers,locals,stats} in every network
 * namespace. Rust collects each row under its locks; C prints it with the
 * format of the C module (net/rxrpc/proc.c), so the files read the same.
 */
struct seq_file;

#define RXRPC_RS_PROC_CALLS	0
#define RXRPC_RS_PROC_CONNS	1
#define RXRPC_RS_PROC_BUNDLES	2
#define RXRPC_RS_PROC_PEERS	3
#define RXRPC_RS_PROC_LOCALS	4
#define RXRPC_RS_PROC_STATS	5

#define RXRPC_RS_ACK_REASONS	10	/* by ACK reason code, 0: other codes */

struct rxrpc_rs_proc_call {
	struct rxrpc_rs_addr local, remote;
	u32 service_id, cid, call_id, abort_code, debug_id;
	u32 tx_hard_ack, tx_top, rx_window, rx_wtop, cwnd;
	bool service;
	char state[9];
};

struct rxrpc_rs_proc_conn {
	struct rxrpc_rs_addr local, remote;
	u32 service_id, cid, active, serial;
	u32 call_id[4];
	bool service;
	char state[9];
};

struct rxrpc_rs_proc_bundle {
	struct rxrpc_rs_addr local, remote;
	u32 service_id, active;
	bool upgrade, exclusive;
	u32 conn_id[4];
};

struct rxrpc_rs_proc_peer {
	struct rxrpc_rs_addr local, remote;
	u32 use, ssthresh, mtu, srtt_us, rto_us;
	s32 last_use_s;
};

struct rxrpc_rs_proc_local {
	struct rxrpc_rs_addr local;
	u32 use, active, rx_queued;
};

/* Counters of a namespace: its endpoints' and those of closed ones. */
struct rxrpc_rs_proc_stats {
	u64 tx_data, tx_retrans, tx_data_fail;
	u64 rx_data, rx_reqack, rx_jumbo;
	u64 tx_acks[RXRPC_RS_ACK_REASONS], rx_acks[RXRPC_RS_ACK_REASONS];
	u64 tx_bytes, rx_bytes, io_loops, rx_dropped;
};

int rxrpc_rs_proc_register(void);
void rxrpc_rs_proc_unregister(void);
void rxrpc_rs_proc_call_row(struct seq_file *seq, const struct rxrpc_rs_proc_call *row);
void rxrpc_rs_proc_conn_row(struct seq_file *seq, const struct rxrpc_rs_proc_conn *row);
void rxrpc_rs_proc_bundle_row(struct seq_file *seq, const struct rxrpc_rs_proc_bundle *row);
void rxrpc_rs_proc_peer_row(struct seq_file *seq, const struct rxrpc_rs_proc_peer *row);
void rxrpc_rs_proc_local_row(struct seq_file *seq, const struct rxrpc_rs_proc_local *row);
void rxrpc_rs_proc_stats_show(struct seq_file *seq, const struct rxrpc_rs_proc_stats *st);
void rxrpc_rs_proc_retire(struct net *net, const struct rxrpc_rs_proc_stats *st);
void rxrpc_rs_proc_retired(struct net *net, struct rxrpc_rs_proc_stats *st);

/* Implemented in Rust. */
void rxrpc_rs_io_work(struct rxrpc_rs_io *io);
/* Prints the rows of file RXRPC_RS_PROC_* for net (the header is printed). */
void rxrpc_rs_proc_show(struct seq_file *seq, struct net *net, unsigned int file);

#endif
