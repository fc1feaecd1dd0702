/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What Rust cannot reach in 6.12 by itself: static inline functions,
 * macros and bitfields, wrapped as plain functions, and a UDP tunnel
 * socket's receive queue, work item and timer. No protocol knowledge:
 * kapi/ builds the abstractions on these.
 */
#ifndef KAPI_GLUE_H
#define KAPI_GLUE_H

#include <linux/skbuff.h>
#include <linux/sockptr.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

struct file;
struct key;
struct key_type;
struct msghdr;
struct net;
struct poll_table_struct;
struct seq_file;
struct sock;
struct socket;

/* Slab caches. */
struct kmem_cache;
struct kmem_cache *kapi_cache_create(const char *name, unsigned int size, unsigned int align);
void kapi_cache_destroy(struct kmem_cache *cache);
void *kapi_cache_alloc(struct kmem_cache *cache);
void *kapi_kmalloc(size_t size);
void kapi_kfree(const void *obj);

/* Sockets. */
void kapi_sock_put(struct sock *sk);
void kapi_sock_hold(struct sock *sk);
void kapi_sock_orphan(struct sock *sk);
void kapi_sock_set_rcu_free(struct sock *sk);
struct net *kapi_sock_net(const struct sock *sk);
void kapi_sk_write_space(struct sock *sk);
int kapi_copy_from_sockptr(void *dst, sockptr_t src, size_t len);
void kapi_poll_wait(struct file *file, struct socket *sock, struct poll_table_struct *wait);
long kapi_wait(struct sock *sk, const u32 *gen, u32 seen, long timeo);
int kapi_wait_unint(struct sock *sk, const u32 *gen, u32 seen, u64 wait_ns);
struct kapi_udp_tunnel;
long kapi_wait_rx(struct sock *sk, const u32 *gen, u32 seen, long timeo,
		  struct kapi_udp_tunnel *t);

/* Messages: control data and payload. */
void *kapi_cmsg_next(struct msghdr *msg, void *prev, int *level, int *type,
		     void **data, size_t *len, int *bad);
size_t kapi_msg_left(struct msghdr *msg);
size_t kapi_copy_from_msg_nofault(struct msghdr *msg, void *buf, size_t len);
size_t kapi_copy_to_msg_nofault(struct msghdr *msg, const void *buf, size_t len);
size_t kapi_msg_fault_in(struct msghdr *msg, size_t len, bool write);

/* Keys: fields inside anonymous unions. */
const char *kapi_key_description(const struct key *key);
struct key_type *kapi_key_type(const struct key *key);
void **kapi_key_payload(struct key *key);
int kapi_request_key(struct key_type *type, const char *desc, struct net *net,
		     struct key **keyp);

/* Keyrings. */
struct key *kapi_keyring_search(struct key *keyring, struct key_type *type, const char *desc);

/* Synchronous skciphers (e.g. "pcbc(des)"). */
struct crypto_sync_skcipher;
struct crypto_sync_skcipher *kapi_skcipher_new(const char *alg, const u8 *key,
					       unsigned int keylen);
void kapi_skcipher_free(struct crypto_sync_skcipher *tfm);
int kapi_skcipher_crypt(struct crypto_sync_skcipher *tfm, const u8 *iv, unsigned int ivlen,
			u8 *data, unsigned int len, bool encrypt);

/*
 * fcrypt on the CPU's vector unit (AVX2), for round keys and tables in the
 * layout the caller's cipher keeps: false when there is none to use here
 * (no AVX2, not enabled, or the FPU not usable in this context).
 */
bool kapi_fcrypt_simd_enable(bool on);
bool kapi_fcrypt_simd_decrypt(const u32 *sched, const u32 *tables, const u8 *in,
			      u8 *out, size_t blocks);
bool kapi_fcrypt_simd_encrypt_lanes(const u32 *sched, const u32 *tables,
				    const u8 *iv, u8 *const *data,
				    unsigned int lanes, size_t blocks);

/* /proc/net. */
struct proc_dir_entry *kapi_proc_net_mkdir(struct net *net, const char *name);
void kapi_proc_net_remove(struct net *net, const char *name);
struct net *kapi_seq_net(struct seq_file *seq);
void *kapi_seq_pde_data(struct seq_file *seq);

/* An address: family, host-order port, address bytes in network order. */
struct kapi_addr {
	u16 family;	/* AF_INET or AF_INET6 */
	u16 port;
	u8 addr[16];	/* 4 bytes used for AF_INET */
};

/* An ICMP error about a packet sent to peer, waiting for the work item. */
struct kapi_udp_error {
	struct kapi_addr peer;
	int err;
};

#define KAPI_UDP_ERROR_RING 16

/*
 * Pages that buffers are cut from one after another, each buffer holding a
 * reference to them: a datagram's skb takes more, so that what it was
 * given stays while it lives, after the buffer goes.
 */
struct kapi_txpages {
	struct page *page;	/* the pages being cut, or NULL */
	unsigned int used;	/* bytes of them cut */
	unsigned int size;	/* their bytes */
};

/*
 * A kernel UDP socket set up as an encapsulation (tunnel) socket. Its
 * softirq receive hooks only queue what arrives and schedule the work
 * item, which calls work_fn in process context, or wake a process that
 * waits in kapi_wait_rx to drain the queue itself; the timer schedules
 * the work too. Packets beyond rx_max_packets, or rx_max_bytes of skb
 * truesize, are dropped, as by a full UDP socket.
 */
struct kapi_udp_tunnel {
	struct socket *udp;
	void (*work_fn)(struct kapi_udp_tunnel *t);
	struct sk_buff_head rx_queue;
	atomic_t rx_queue_bytes;
	unsigned int rx_max_packets;
	int rx_max_bytes;
	struct work_struct work;
	struct timer_list timer;
	spinlock_t err_lock;
	unsigned int err_head, err_count;
	struct kapi_udp_error errs[KAPI_UDP_ERROR_RING];
	struct kapi_addr local;	/* as bound (with the port the kernel picked) */
	atomic64_t rx_dropped;	/* received packets dropped: queue full */
	atomic64_t tx_by_ref;	/* datagrams kapi_udp_tunnel_send_spliced spliced */
	atomic64_t tx_by_copy;	/* and those of 4 KiB or more it copied */
	wait_queue_head_t rx_wait;	/* processes in kapi_wait_rx */
	unsigned long rx_flags;	/* KAPI_UDP_RX_WAKING */
	const struct cred *cred;	/* the kernel's, for work_fn run elsewhere */
	struct kapi_txpages heads;	/* kapi_udp_tunnel_send_spliced's */
};

/* A process in kapi_wait_rx was woken to drain rx_queue, and has not yet. */
#define KAPI_UDP_RX_WAKING 0

void kapi_udp_tunnel_init(struct kapi_udp_tunnel *t,
			  void (*work_fn)(struct kapi_udp_tunnel *t));
int kapi_udp_tunnel_open(struct kapi_udp_tunnel *t, struct net *net,
			 const struct kapi_addr *local, u8 encap_type,
			 unsigned int rx_max_packets, int rx_max_bytes);
void kapi_udp_tunnel_close(struct kapi_udp_tunnel *t);
void kapi_udp_tunnel_arm(struct kapi_udp_tunnel *t, u64 delay_ns);
int kapi_udp_tunnel_next(struct kapi_udp_tunnel *t, struct kapi_addr *from,
			 void *buf, size_t cap, const void **data, size_t *first_len,
			 unsigned int *npieces, struct sk_buff **skb);
size_t kapi_udp_tunnel_piece(struct sk_buff *skb, unsigned int max, unsigned int i,
			     const void **data);
void kapi_udp_tunnel_consume(struct sk_buff *skb);
void kapi_udp_tunnel_share(struct sk_buff *skb);
void kapi_udp_tunnel_take_rx(struct kapi_udp_tunnel *t);
int kapi_udp_tunnel_next_error(struct kapi_udp_tunnel *t, struct kapi_udp_error *e);
int kapi_udp_tunnel_send(struct kapi_udp_tunnel *t, const struct kapi_addr *to,
			 struct kvec *iov, size_t n, size_t len, u16 seg);
int kapi_udp_tunnel_send_spliced(struct kapi_udp_tunnel *t, const struct kapi_addr *to,
				 struct kvec *iov, size_t n, size_t len);

void *kapi_txpages_alloc(struct kapi_txpages *c, size_t len);
void kapi_txpages_free(void *p);
void kapi_txpages_release(struct kapi_txpages *c);
unsigned int kapi_route_mtu(struct net *net, const struct kapi_addr *to);

/*
 * The in-kernel AF_RXRPC interface (net/af_rxrpc.h, keys/rxrpc-type.h):
 * glue.c exports its functions, each calling through the ops a Rust
 * registration installs, and the data objects kAFS and rxperf link to.
 */
struct rxrpc_call;
struct rxrpc_peer;
struct rxrpc_kernel_ops;
struct sockaddr;
struct sockaddr_rxrpc;
struct iov_iter;

typedef void (*kapi_notify_t)(struct sock *, struct rxrpc_call *, unsigned long);

struct kapi_af_rxrpc_ops {
	void (*set_notifications)(struct socket *sock, const struct rxrpc_kernel_ops *app_ops);
	struct rxrpc_call *(*begin_call)(struct socket *sock, struct rxrpc_peer *peer,
					 struct key *key, unsigned long user_call_ID,
					 s64 tx_total_len, u32 hard_timeout,
					 kapi_notify_t notify_rx, u16 service_id, bool upgrade,
					 int interruptibility);
	int (*send_data)(struct socket *sock, struct rxrpc_call *call, struct msghdr *msg,
			 size_t len, kapi_notify_t notify_end_tx);
	int (*recv_data)(struct socket *sock, struct rxrpc_call *call, struct iov_iter *iter,
			 size_t *len, bool want_more, u32 *abort_code, u16 *service_id);
	bool (*abort_call)(struct socket *sock, struct rxrpc_call *call, u32 abort_code,
			   int error);
	void (*shutdown_call)(struct socket *sock, struct rxrpc_call *call);
	void (*put_call)(struct socket *sock, struct rxrpc_call *call);
	struct rxrpc_peer *(*lookup_peer)(struct socket *sock, struct sockaddr_rxrpc *srx);
	void (*put_peer)(struct rxrpc_peer *peer);
	struct rxrpc_peer *(*get_peer)(struct rxrpc_peer *peer);
	struct rxrpc_peer *(*get_call_peer)(struct socket *sock, struct rxrpc_call *call);
	const struct sockaddr_rxrpc *(*remote_srx)(const struct rxrpc_peer *peer);
	unsigned long (*set_peer_data)(struct rxrpc_peer *peer, unsigned long app_data);
	unsigned long (*get_peer_data)(const struct rxrpc_peer *peer);
	unsigned int (*get_srtt)(const struct rxrpc_peer *peer);
	int (*charge_accept)(struct socket *sock, kapi_notify_t notify_rx,
			     unsigned long user_call_ID);
	void (*set_tx_length)(struct socket *sock, struct rxrpc_call *call, s64 tx_total_len);
	bool (*check_life)(const struct socket *sock, const struct rxrpc_call *call);
	u32 (*get_epoch)(struct socket *sock, struct rxrpc_call *call);
	void (*set_max_life)(struct socket *sock, struct rxrpc_call *call,
			     unsigned long hard_timeout);
	int (*set_min_security_level)(struct sock *sk, unsigned int val);
	int (*set_security_keyring)(struct sock *sk, struct key *keyring);
};

int kapi_af_rxrpc_register(const struct kapi_af_rxrpc_ops *ops);
void kapi_af_rxrpc_unregister(void);
struct key_type *kapi_af_rxrpc_key_type(void);
struct key *kapi_key_get(struct key *key);
struct key *kapi_key_create_empty(struct key_type *type, const char *desc);
size_t kapi_iter_count(const struct iov_iter *iter);
size_t kapi_copy_to_iter(struct iov_iter *iter, const void *buf, size_t len);


/*
 * Tracepoints of the "rxrpc" trace system (trace.h, made in trace.c when
 * CONFIG_TRACEPOINTS is on): which events are being recorded, and one
 * function per event. Strings come with their length, as Rust's have no
 * NUL.
 */
struct kapi_trace_on {
	bool rx_packet, rx_drop, rx_abort, rx_conn_abort, tx_packet, tx_fail, abort;
};

/* A packet's header fields, in host order. */
struct kapi_trace_hdr {
	u32 epoch, cid, call_number, seq, serial;
	u8 type, flags, user_status, security_index;
	u16 service_id;
};

/* How a call ended: C's enum rxrpc_call_completion, then ours. */
enum kapi_trace_completion {
	KAPI_TRACE_SUCCEEDED,
	KAPI_TRACE_REMOTELY_ABORTED,
	KAPI_TRACE_LOCALLY_ABORTED,
	KAPI_TRACE_LOCAL_ERROR,
	KAPI_TRACE_NETWORK_ERROR,
	KAPI_TRACE_BUSY,
};

struct kapi_trace_on kapi_trace_enabled(void);
void kapi_trace_rx_packet(const struct kapi_trace_hdr *h);
void kapi_trace_rx_drop(const struct kapi_trace_hdr *h, const char *why, size_t why_len);
void kapi_trace_rx_abort(unsigned int call, u32 serial, u32 abort_code);
void kapi_trace_rx_conn_abort(unsigned int conn, u32 serial, u32 abort_code);
void kapi_trace_tx_packet(unsigned int call, const struct kapi_trace_hdr *h,
			  const char *where, size_t where_len);
void kapi_trace_tx_fail(unsigned int call, u32 serial, int ret, const char *where,
			size_t where_len);
void kapi_trace_call(unsigned int call, unsigned long aux, const char *why, size_t why_len);
void kapi_trace_call_complete(unsigned int call, int compl, int error, u32 abort_code);
void kapi_trace_abort(unsigned int call, const char *why, size_t why_len, u32 cid,
		      u32 call_id, u32 seq, u32 abort_code, int error);
void kapi_trace_conn(unsigned int conn, const char *why, size_t why_len);

#endif
