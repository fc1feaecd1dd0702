// SPDX-License-Identifier: GPL-2.0
/*
 * C wrappers for static inlines, and the plumbing of a local endpoint's
 * kernel UDP socket, called from the Rust FFI layer.
 */
#include <linux/key.h>
#include <linux/key-type.h>
#include <linux/random.h>
#include <linux/ktime.h>
#include <linux/udp.h>
#include <linux/ipv6.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>
#include <linux/uio.h>
#include <linux/poll.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include "glue.h"

void rxrpc_rs_sock_put(struct sock *sk)
{
	sock_put(sk);
}

void rxrpc_rs_sock_hold(struct sock *sk)
{
	sock_hold(sk);
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

void rxrpc_rs_sk_data_ready(struct sock *sk)
{
	sk->sk_data_ready(sk);
}

/*
 * Send buffer space was freed. Not sk_write_space: the default one judges
 * by sk_wmem_alloc, which our Tx data is not charged to (the engine holds
 * it); the caller has already decided that there is space.
 */
void rxrpc_rs_sk_write_space(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_sync_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
	rcu_read_unlock();
	sk_wake_async(sk, SOCK_WAKE_SPACE, POLL_OUT);
}

/* SO_SNDBUF or SO_RCVBUF as it is now (setsockopt may change it any time). */
int rxrpc_rs_sock_buf(const struct sock *sk, bool send)
{
	return send ? READ_ONCE(sk->sk_sndbuf) : READ_ONCE(sk->sk_rcvbuf);
}

struct net *rxrpc_rs_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}

int rxrpc_rs_copy_from_sockptr(void *dst, sockptr_t src, size_t len)
{
	return copy_from_sockptr(dst, src, len) ? -EFAULT : 0;
}

const char *rxrpc_rs_key_description(const struct key *key)
{
	return key->description;
}

/* type NULL: a keyring, looked up without a network namespace tag. */
int rxrpc_rs_request_key(struct key_type *type, const char *desc, struct net *net,
			 struct key **keyp)
{
	struct key *key = type ? request_key_net(type, desc, net, NULL) :
				 request_key(&key_type_keyring, desc, NULL);

	if (IS_ERR(key))
		return PTR_ERR(key);
	*keyp = key;
	return 0;
}

void rxrpc_rs_key_put(struct key *key)
{
	key_put(key);
}

u32 rxrpc_rs_random_u32(void)
{
	return get_random_u32();
}

void **rxrpc_rs_key_payload(struct key *key)
{
	return key->payload.data;
}

static void rxrpc_rs_io_work_fn(struct work_struct *work)
{
	struct rxrpc_rs_io *io = container_of(work, struct rxrpc_rs_io, work);

	rxrpc_rs_io_work(io);
}

static void rxrpc_rs_io_timer_fn(struct timer_list *t)
{
	struct rxrpc_rs_io *io = from_timer(io, t, timer);

	queue_work(system_unbound_wq, &io->work);
}

void rxrpc_rs_io_init(struct rxrpc_rs_io *io)
{
	io->udp = NULL;
	io->icmp_head = 0;
	io->icmp_count = 0;
	spin_lock_init(&io->icmp_lock);
	skb_queue_head_init(&io->rx_queue);
	atomic_set(&io->rx_queue_bytes, 0);
	memset(&io->local, 0, sizeof(io->local));
	atomic64_set(&io->rx_dropped, 0);
	atomic64_set(&io->tx_data_fail, 0);
	INIT_WORK(&io->work, rxrpc_rs_io_work_fn);
	timer_setup(&io->timer, rxrpc_rs_io_timer_fn, 0);
}

/* Softirq: queue the packet for the work item; never runs the engine here. */
static int rxrpc_rs_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct rxrpc_rs_io *io = rcu_dereference_sk_user_data(sk);

	if (!io || skb_queue_len(&io->rx_queue) >= RXRPC_RS_RX_QUEUE_MAX ||
	    atomic_read(&io->rx_queue_bytes) > RXRPC_RS_RX_QUEUE_BYTES - (int)skb->truesize) {
		if (io)
			atomic64_inc(&io->rx_dropped);
		kfree_skb(skb);
		return 0;
	}
	atomic_add(skb->truesize, &io->rx_queue_bytes);
	skb_queue_tail(&io->rx_queue, skb);
	queue_work(system_unbound_wq, &io->work);
	return 0;
}

/*
 * Softirq: an ICMP error about a packet we sent. skb->data is the IP
 * header of that packet, so its destination is the peer concerned. Path
 * MTU reports (EMSGSIZE) are not errors of the call.
 */
static void rxrpc_rs_encap_err_rcv(struct sock *sk, struct sk_buff *skb, int err,
				   __be16 port, u32 info, u8 *payload)
{
	struct rxrpc_rs_io *io = rcu_dereference_sk_user_data(sk);
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	struct rxrpc_rs_icmp e = { .err = err };
	unsigned long flags;

	if (!io || err == EMSGSIZE)
		return;
	e.peer.port = ntohs(port);
	if (iph->version == 4) {
		e.peer.family = AF_INET;
		memcpy(e.peer.addr, &iph->daddr, 4);
	} else {
		const struct ipv6hdr *ip6 = (const struct ipv6hdr *)skb->data;

		if (ipv6_addr_v4mapped(&ip6->daddr)) {
			e.peer.family = AF_INET;
			memcpy(e.peer.addr, &ip6->daddr.s6_addr32[3], 4);
		} else {
			e.peer.family = AF_INET6;
			memcpy(e.peer.addr, &ip6->daddr, 16);
		}
	}
	spin_lock_irqsave(&io->icmp_lock, flags);
	if (io->icmp_count < RXRPC_RS_ICMP_RING) {
		io->icmp[(io->icmp_head + io->icmp_count) % RXRPC_RS_ICMP_RING] = e;
		io->icmp_count++;
	}
	spin_unlock_irqrestore(&io->icmp_lock, flags);
	queue_work(system_unbound_wq, &io->work);
}

/* Takes the oldest queued ICMP error: its errno, or 0 if none. */
int rxrpc_rs_io_next_icmp(struct rxrpc_rs_io *io, struct rxrpc_rs_addr *peer)
{
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&io->icmp_lock, flags);
	if (io->icmp_count) {
		*peer = io->icmp[io->icmp_head].peer;
		err = io->icmp[io->icmp_head].err;
		io->icmp_head = (io->icmp_head + 1) % RXRPC_RS_ICMP_RING;
		io->icmp_count--;
	}
	spin_unlock_irqrestore(&io->icmp_lock, flags);
	return err;
}

/* The address the UDP socket is bound to, for /proc (a as asked, if unknown). */
static void rxrpc_rs_io_note_local(struct rxrpc_rs_io *io, const struct rxrpc_rs_addr *a)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	io->local = *a;
	if (kernel_getsockname(io->udp, (struct sockaddr *)&ss) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		io->local.family = AF_INET;
		io->local.port = ntohs(sin->sin_port);
		memcpy(io->local.addr, &sin->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		io->local.family = AF_INET6;
		io->local.port = ntohs(sin6->sin6_port);
		memcpy(io->local.addr, &sin6->sin6_addr, 16);
	}
}

int rxrpc_rs_io_open(struct rxrpc_rs_io *io, struct net *net,
		     const struct rxrpc_rs_addr *a)
{
	struct udp_tunnel_sock_cfg tuncfg = {};
	struct udp_port_cfg conf = {};
	int ret;

	conf.family = a->family;
	conf.use_udp_checksums = true;
	conf.local_udp_port = htons(a->port);
	if (a->family == AF_INET) {
		memcpy(&conf.local_ip, a->addr, 4);
	} else {
		memcpy(&conf.local_ip6, a->addr, 16);
		conf.use_udp6_tx_checksums = true;
		conf.use_udp6_rx_checksums = true;
	}
	ret = udp_sock_create(net, &conf, &io->udp);
	if (ret < 0)
		return ret;

	tuncfg.encap_type = UDP_ENCAP_RXRPC;
	tuncfg.encap_rcv = rxrpc_rs_encap_rcv;
	tuncfg.encap_err_rcv = rxrpc_rs_encap_err_rcv;
	tuncfg.sk_user_data = io;
	setup_udp_tunnel_sock(net, io->udp, &tuncfg);
	if (a->family == AF_INET6)
		ip6_sock_set_recverr(io->udp->sk);
	ip_sock_set_recverr(io->udp->sk);
	rxrpc_rs_io_note_local(io, a);
	return 0;
}

/* Process context. No receive callback runs after this returns. */
void rxrpc_rs_io_close(struct rxrpc_rs_io *io)
{
	if (io->udp)
		udp_tunnel_sock_release(io->udp);
	io->udp = NULL;
	timer_delete_sync(&io->timer);
	cancel_work_sync(&io->work);
	skb_queue_purge(&io->rx_queue);
}

void rxrpc_rs_io_arm(struct rxrpc_rs_io *io, unsigned long delay_ns)
{
	unsigned long delay = nsecs_to_jiffies(delay_ns);

	timer_reduce(&io->timer, jiffies + (delay ? delay : 1));
}

u64 rxrpc_rs_now_ns(void)
{
	return ktime_get_ns();
}

/*
 * Takes the next received packet: copies its UDP payload into buf and
 * its source into from, and frees it. Returns the payload length,
 * -EMSGSIZE for a packet larger than cap (dropped), or -ENOENT when the
 * queue is empty.
 */
int rxrpc_rs_io_next(struct rxrpc_rs_io *io, struct rxrpc_rs_addr *from,
		     void *buf, size_t cap)
{
	struct sk_buff *skb;
	int len;

	while ((skb = skb_dequeue(&io->rx_queue))) {
		atomic_sub(skb->truesize, &io->rx_queue_bytes);
		if (!pskb_may_pull(skb, sizeof(struct udphdr))) {
			kfree_skb(skb);
			continue;
		}
		from->port = ntohs(udp_hdr(skb)->source);
		if (skb->protocol == htons(ETH_P_IP)) {
			from->family = AF_INET;
			memcpy(from->addr, &ip_hdr(skb)->saddr, 4);
		} else if (ipv6_addr_v4mapped(&ipv6_hdr(skb)->saddr)) {
			from->family = AF_INET;
			memcpy(from->addr, &ipv6_hdr(skb)->saddr.s6_addr32[3], 4);
		} else {
			from->family = AF_INET6;
			memcpy(from->addr, &ipv6_hdr(skb)->saddr, 16);
		}
		__skb_pull(skb, sizeof(struct udphdr));
		len = skb->len;
		if (len > cap || skb_copy_bits(skb, 0, buf, len) < 0)
			len = -EMSGSIZE;
		kfree_skb(skb);
		return len;
	}
	return -ENOENT;
}

/* Offset of the type byte in the RxRPC wire header, and the type of DATA. */
#define RXRPC_RS_WIRE_TYPE	20
#define RXRPC_RS_TYPE_DATA	1

static int rxrpc_rs_io_sendmsg(struct rxrpc_rs_io *io, const struct rxrpc_rs_addr *to,
			       const void *data, size_t len)
{
	struct sockaddr_in6 sin6 = {};
	struct sockaddr_in sin = {};
	struct kvec iov = { (void *)data, len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

	if (!io->udp)
		return -ESHUTDOWN;
	if (io->udp->sk->sk_family == AF_INET6) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(to->port);
		if (to->family == AF_INET)
			ipv6_addr_set_v4mapped(*(__be32 *)to->addr, &sin6.sin6_addr);
		else
			memcpy(&sin6.sin6_addr, to->addr, 16);
		msg.msg_name = &sin6;
		msg.msg_namelen = sizeof(sin6);
	} else {
		if (to->family != AF_INET)
			return -EAFNOSUPPORT;
		sin.sin_family = AF_INET;
		sin.sin_port = htons(to->port);
		memcpy(&sin.sin_addr, to->addr, 4);
		msg.msg_name = &sin;
		msg.msg_namelen = sizeof(sin);
	}
	return kernel_sendmsg(io->udp, &msg, &iov, 1, len);
}

int rxrpc_rs_io_send(struct rxrpc_rs_io *io, const struct rxrpc_rs_addr *to,
		     const void *data, size_t len)
{
	int ret = rxrpc_rs_io_sendmsg(io, to, data, len);

	if (ret < 0 && len > RXRPC_RS_WIRE_TYPE &&
	    ((const u8 *)data)[RXRPC_RS_WIRE_TYPE] == RXRPC_RS_TYPE_DATA)
		atomic64_inc(&io->tx_data_fail);
	return ret;
}

void rxrpc_rs_io_info(struct rxrpc_rs_io *io, struct rxrpc_rs_io_info *info)
{
	info->local = io->local;
	info->rx_queued = skb_queue_len_lockless(&io->rx_queue);
	info->rx_dropped = atomic64_read(&io->rx_dropped);
	info->tx_data_fail = atomic64_read(&io->tx_data_fail);
}

/*
 * The control message after prev (or the first), with its level, type and
 * data length; NULL at the end. *bad is set for a malformed one.
 */
void *rxrpc_rs_cmsg_next(struct msghdr *msg, void *prev, int *level, int *type,
			 void **data, size_t *len, int *bad)
{
	struct cmsghdr *cmsg = prev ? CMSG_NXTHDR(msg, (struct cmsghdr *)prev) :
				      CMSG_FIRSTHDR(msg);

	*bad = 0;
	if (!cmsg)
		return NULL;
	if (!CMSG_OK(msg, cmsg)) {
		*bad = 1;
		return NULL;
	}
	*level = cmsg->cmsg_level;
	*type = cmsg->cmsg_type;
	*data = CMSG_DATA(cmsg);
	*len = cmsg->cmsg_len - sizeof(struct cmsghdr);
	return cmsg;
}

/* getsockopt() of an int option, as the C module answers it. */
int rxrpc_rs_getsockopt_int(char __user *optval, int __user *optlen, int val)
{
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < sizeof(int))
		return -ETOOSMALL;
	if (put_user(val, (int __user *)optval) || put_user(sizeof(int), optlen))
		return -EFAULT;
	return 0;
}

size_t rxrpc_rs_msg_left(struct msghdr *msg)
{
	return msg_data_left(msg);
}

size_t rxrpc_rs_copy_from_msg(struct msghdr *msg, void *buf, size_t len)
{
	return copy_from_iter(buf, len, &msg->msg_iter);
}

size_t rxrpc_rs_copy_to_msg(struct msghdr *msg, const void *buf, size_t len)
{
	return copy_to_iter(buf, len, &msg->msg_iter);
}

void rxrpc_rs_msg_revert(struct msghdr *msg, size_t len)
{
	iov_iter_revert(&msg->msg_iter, len);
}

void rxrpc_rs_msg_set_name(struct msghdr *msg, const void *name, int len)
{
	if (msg->msg_name) {
		memcpy(msg->msg_name, name, len);
		msg->msg_namelen = len;
	}
}

int rxrpc_rs_msg_put_cmsg(struct msghdr *msg, int type, const void *data, int len)
{
	return put_cmsg(msg, SOL_RXRPC, type, len, (void *)data);
}

long rxrpc_rs_sock_timeo(struct sock *sk, bool send, bool nonblock)
{
	return send ? sock_sndtimeo(sk, nonblock) : sock_rcvtimeo(sk, nonblock);
}

/*
 * MSG_WAITALL: sleep through signals for up to wait_ns (at least two
 * jiffies) for the event generation to move. Returns 1 if it moved, 0 if
 * not, or -EINTR if not and a signal is pending; the caller gives up on
 * -EINTR only if the peer made no progress meanwhile.
 */
int rxrpc_rs_wait_waitall(struct sock *sk, const u32 *gen, u32 seen, u64 wait_ns)
{
	long timeo = max_t(long, nsecs_to_jiffies(wait_ns), 2);

	if (wait_event_timeout(*sk_sleep(sk), READ_ONCE(*gen) != seen, timeo))
		return 1;
	return signal_pending(current) ? -EINTR : 0;
}

long rxrpc_rs_wait(struct sock *sk, const u32 *gen, u32 seen, long timeo)
{
	return wait_event_interruptible_timeout(*sk_sleep(sk),
						READ_ONCE(*gen) != seen, timeo);
}

void rxrpc_rs_poll_wait(struct file *file, struct socket *sock,
			struct poll_table_struct *wait)
{
	sock_poll_wait(file, sock, wait);
}

/*
 * sysctl net.rxrpc, with the names, defaults and ranges of the C module
 * (global, in the initial namespace, as there).
 */
static unsigned int rxrpc_rs_sysctl_max_backlog = 10;
static unsigned int rxrpc_rs_sysctl_rx_window_size = 255;
static const unsigned int rxrpc_rs_four = 4;
static const unsigned int rxrpc_rs_backlog_max = 31;
static const unsigned int rxrpc_rs_window_max = 255;
static struct ctl_table_header *rxrpc_rs_sysctl_header;

static struct ctl_table rxrpc_rs_sysctl_table[] = {
	{
		.procname	= "max_backlog",
		.data		= &rxrpc_rs_sysctl_max_backlog,
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= (void *)&rxrpc_rs_four,
		.extra2		= (void *)&rxrpc_rs_backlog_max,
	},
	{
		.procname	= "rx_window_size",
		.data		= &rxrpc_rs_sysctl_rx_window_size,
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= (void *)SYSCTL_ONE,
		.extra2		= (void *)&rxrpc_rs_window_max,
	},
};

int rxrpc_rs_sysctl_register(void)
{
	rxrpc_rs_sysctl_header = register_net_sysctl(&init_net, "net/rxrpc",
						     rxrpc_rs_sysctl_table);
	return rxrpc_rs_sysctl_header ? 0 : -ENOMEM;
}

void rxrpc_rs_sysctl_unregister(void)
{
	unregister_net_sysctl_table(rxrpc_rs_sysctl_header);
}

unsigned int rxrpc_rs_max_backlog(void)
{
	return READ_ONCE(rxrpc_rs_sysctl_max_backlog);
}

unsigned int rxrpc_rs_rx_window_size(void)
{
	return READ_ONCE(rxrpc_rs_sysctl_rx_window_size);
}

/*
 * /proc/net/rxrpc, per network namespace, read-only. The headers and row
 * formats are those of net/rxrpc/proc.c (6.12); the rows come from Rust
 * (rxrpc_rs_proc_show), which walks the namespace's endpoints under their
 * locks. Each file is a single_open seq_file: show runs again with a
 * larger buffer if the first did not fit, and prints the same rows.
 */
#define RXRPC_RS_ADDRBUF_SIZE \
	(sizeof("[xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:255.255.255.255]") + \
	 sizeof(":12345"))

struct rxrpc_rs_net {
	spinlock_t lock;
	struct rxrpc_rs_proc_stats retired;	/* of the endpoints closed */
};

static unsigned int rxrpc_rs_net_id;

static void rxrpc_rs_fmt_addr(char *buf, const struct rxrpc_rs_addr *a)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	if (a->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->addr, 4);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->addr, 16);
	}
	scnprintf(buf, RXRPC_RS_ADDRBUF_SIZE, "%pISpc", &ss);
}

void rxrpc_rs_proc_call_row(struct seq_file *seq, const struct rxrpc_rs_proc_call *row)
{
	char lbuff[RXRPC_RS_ADDRBUF_SIZE], rbuff[RXRPC_RS_ADDRBUF_SIZE];

	rxrpc_rs_fmt_addr(lbuff, &row->local);
	rxrpc_rs_fmt_addr(rbuff, &row->remote);
	seq_printf(seq,
		   "UDP   %-47.47s %-47.47s %4x %08x %08x %s %3u"
		   " %-8.8s %08x %08x %08x %02x %08x %02x %08x %02x %06lx\n",
		   lbuff,
		   rbuff,
		   row->service_id,
		   row->cid,
		   row->call_id,
		   row->service ? "Svc" : "Clt",
		   0,			/* Use: no reference count */
		   row->state,
		   row->abort_code,
		   row->debug_id,
		   row->tx_hard_ack, row->tx_top - row->tx_hard_ack,
		   row->rx_window, row->rx_wtop - row->rx_window,
		   0,			/* RxSerial: not kept */
		   row->cwnd,
		   0UL);		/* RxTimo: not kept */
}

void rxrpc_rs_proc_conn_row(struct seq_file *seq, const struct rxrpc_rs_proc_conn *row)
{
	char lbuff[RXRPC_RS_ADDRBUF_SIZE], rbuff[RXRPC_RS_ADDRBUF_SIZE];

	rxrpc_rs_fmt_addr(lbuff, &row->local);
	rxrpc_rs_fmt_addr(rbuff, &row->remote);
	seq_printf(seq,
		   "UDP   %-47.47s %-47.47s %4x %08x %s %3u %3d"
		   " %s %08x %08x %08x %08x %08x %08x %08x\n",
		   lbuff,
		   rbuff,
		   row->service_id,
		   row->cid,
		   row->service ? "Svc" : "Clt",
		   0,			/* Ref: no reference count */
		   row->active,
		   row->state,
		   0,			/* Key: no key serial (no security yet) */
		   row->serial,
		   0,			/* ISerial: not kept */
		   row->call_id[0],
		   row->call_id[1],
		   row->call_id[2],
		   row->call_id[3]);
}

void rxrpc_rs_proc_bundle_row(struct seq_file *seq, const struct rxrpc_rs_proc_bundle *row)
{
	char lbuff[RXRPC_RS_ADDRBUF_SIZE], rbuff[RXRPC_RS_ADDRBUF_SIZE];

	rxrpc_rs_fmt_addr(lbuff, &row->local);
	rxrpc_rs_fmt_addr(rbuff, &row->remote);
	seq_printf(seq,
		   "UDP   %-47.47s %-47.47s %4x %3u %3d"
		   " %c%c%c %08x | %08x %08x %08x %08x %08x\n",
		   lbuff,
		   rbuff,
		   row->service_id,
		   0,			/* Ref: no reference count */
		   row->active,
		   row->upgrade ? 'U' : '-',
		   row->exclusive ? 'e' : '-',
		   '-',			/* upgraded: not kept per bundle */
		   0,			/* Key */
		   0,			/* Bundle debug id */
		   row->conn_id[0],
		   row->conn_id[1],
		   row->conn_id[2],
		   row->conn_id[3]);
}

void rxrpc_rs_proc_peer_row(struct seq_file *seq, const struct rxrpc_rs_proc_peer *row)
{
	char lbuff[RXRPC_RS_ADDRBUF_SIZE], rbuff[RXRPC_RS_ADDRBUF_SIZE];

	rxrpc_rs_fmt_addr(lbuff, &row->local);
	rxrpc_rs_fmt_addr(rbuff, &row->remote);
	seq_printf(seq,
		   "UDP   %-47.47s %-47.47s %3u"
		   " %3u %5u %6ds %8d %8d\n",
		   lbuff,
		   rbuff,
		   row->use,
		   row->ssthresh,
		   row->mtu,
		   row->last_use_s,
		   (int)row->srtt_us,
		   (int)row->rto_us);
}

void rxrpc_rs_proc_local_row(struct seq_file *seq, const struct rxrpc_rs_proc_local *row)
{
	char lbuff[RXRPC_RS_ADDRBUF_SIZE];

	rxrpc_rs_fmt_addr(lbuff, &row->local);
	seq_printf(seq,
		   "UDP   %-47.47s %3u %3u %3u\n",
		   lbuff,
		   row->use,
		   row->active,
		   row->rx_queued);
}

void rxrpc_rs_proc_stats_show(struct seq_file *seq, const struct rxrpc_rs_proc_stats *st)
{
	u64 acks = 0;
	int i;

	for (i = 0; i < RXRPC_RS_ACK_REASONS; i++)
		acks += st->tx_acks[i];
	seq_printf(seq,
		   "Data     : send=%llu sendf=%u fail=%llu\n",
		   st->tx_data + st->tx_retrans, 0, st->tx_data_fail);
	seq_printf(seq,
		   "Data-Tx  : nr=%llu retrans=%llu uf=%u cwr=%u\n",
		   st->tx_data, st->tx_retrans, 0, 0);
	seq_printf(seq,
		   "Data-Rx  : nr=%llu reqack=%llu jumbo=%llu\n",
		   st->rx_data, st->rx_reqack, st->rx_jumbo);
	seq_printf(seq,
		   "Ack      : fill=%llu send=%llu skip=%u\n",
		   acks, acks, 0);
	seq_printf(seq,
		   "Ack-Tx   : req=%llu dup=%llu oos=%llu exw=%llu nos=%llu png=%llu prs=%llu dly=%llu idl=%llu\n",
		   st->tx_acks[1], st->tx_acks[2], st->tx_acks[3],
		   st->tx_acks[4], st->tx_acks[5], st->tx_acks[6],
		   st->tx_acks[7], st->tx_acks[8], st->tx_acks[9]);
	seq_printf(seq,
		   "Ack-Rx   : req=%llu dup=%llu oos=%llu exw=%llu nos=%llu png=%llu prs=%llu dly=%llu idl=%llu\n",
		   st->rx_acks[1], st->rx_acks[2], st->rx_acks[3],
		   st->rx_acks[4], st->rx_acks[5], st->rx_acks[6],
		   st->rx_acks[7], st->rx_acks[8], st->rx_acks[9]);
	seq_puts(seq, "Why-Req-A: acklost=0 already=0 mrtt=0 ortt=0\n");
	seq_puts(seq, "Why-Req-A: nolast=0 retx=0 slows=0 smtxw=0\n");
	seq_printf(seq,
		   "Buffers  : txb=%llu rxb=%llu\n",
		   st->tx_bytes, st->rx_bytes);
	seq_printf(seq,
		   "IO-thread: loops=%llu\n",
		   st->io_loops);
	seq_printf(seq,
		   "Rx-Queue : dropped=%llu\n",
		   st->rx_dropped);
}

static void rxrpc_rs_stats_add(struct rxrpc_rs_proc_stats *to, const struct rxrpc_rs_proc_stats *from)
{
	u64 *d = (u64 *)to;
	const u64 *s = (const u64 *)from;
	size_t i;

	BUILD_BUG_ON(sizeof(*to) % sizeof(u64));
	for (i = 0; i < sizeof(*to) / sizeof(u64); i++)
		d[i] += s[i];
}

/* An endpoint of net closes: its counters go on counting for the namespace. */
void rxrpc_rs_proc_retire(struct net *net, const struct rxrpc_rs_proc_stats *st)
{
	struct rxrpc_rs_net *rn = net_generic(net, rxrpc_rs_net_id);

	spin_lock(&rn->lock);
	rxrpc_rs_stats_add(&rn->retired, st);
	spin_unlock(&rn->lock);
}

/* Adds the counters of net's closed endpoints to *st. */
void rxrpc_rs_proc_retired(struct net *net, struct rxrpc_rs_proc_stats *st)
{
	struct rxrpc_rs_net *rn = net_generic(net, rxrpc_rs_net_id);

	spin_lock(&rn->lock);
	rxrpc_rs_stats_add(st, &rn->retired);
	spin_unlock(&rn->lock);
}

#define RXRPC_RS_PROC_HDR_ADDRS \
	"Proto Local                                          " \
	" Remote                                         "

static int rxrpc_rs_proc_calls(struct seq_file *seq, void *v)
{
	seq_puts(seq,
		 RXRPC_RS_PROC_HDR_ADDRS
		 " SvID ConnID   CallID   End Use State    Abort   "
		 " DebugId  TxSeq    TW RxSeq    RW RxSerial CW RxTimo\n");
	rxrpc_rs_proc_show(seq, seq_file_single_net(seq), RXRPC_RS_PROC_CALLS);
	return 0;
}

static int rxrpc_rs_proc_conns(struct seq_file *seq, void *v)
{
	seq_puts(seq,
		 RXRPC_RS_PROC_HDR_ADDRS
		 " SvID ConnID   End Ref Act State    Key     "
		 " Serial   ISerial  CallId0  CallId1  CallId2  CallId3\n");
	rxrpc_rs_proc_show(seq, seq_file_single_net(seq), RXRPC_RS_PROC_CONNS);
	return 0;
}

static int rxrpc_rs_proc_bundles(struct seq_file *seq, void *v)
{
	seq_puts(seq,
		 RXRPC_RS_PROC_HDR_ADDRS
		 " SvID Ref Act Flg Key      |"
		 " Bundle   Conn_0   Conn_1   Conn_2   Conn_3\n");
	rxrpc_rs_proc_show(seq, seq_file_single_net(seq), RXRPC_RS_PROC_BUNDLES);
	return 0;
}

static int rxrpc_rs_proc_peers(struct seq_file *seq, void *v)
{
	seq_puts(seq,
		 RXRPC_RS_PROC_HDR_ADDRS
		 " Use SST   MTU LastUse      RTT      RTO\n");
	rxrpc_rs_proc_show(seq, seq_file_single_net(seq), RXRPC_RS_PROC_PEERS);
	return 0;
}

static int rxrpc_rs_proc_locals(struct seq_file *seq, void *v)
{
	seq_puts(seq,
		 "Proto Local                                          "
		 " Use Act RxQ\n");
	rxrpc_rs_proc_show(seq, seq_file_single_net(seq), RXRPC_RS_PROC_LOCALS);
	return 0;
}

static int rxrpc_rs_proc_stats(struct seq_file *seq, void *v)
{
	rxrpc_rs_proc_show(seq, seq_file_single_net(seq), RXRPC_RS_PROC_STATS);
	return 0;
}

static int __net_init rxrpc_rs_net_init(struct net *net)
{
	struct rxrpc_rs_net *rn = net_generic(net, rxrpc_rs_net_id);
	struct proc_dir_entry *dir;

	spin_lock_init(&rn->lock);
	dir = proc_net_mkdir(net, "rxrpc", net->proc_net);
	if (!dir)
		return -ENOMEM;
	if (!proc_create_net_single("calls", 0444, dir, rxrpc_rs_proc_calls, NULL) ||
	    !proc_create_net_single("conns", 0444, dir, rxrpc_rs_proc_conns, NULL) ||
	    !proc_create_net_single("bundles", 0444, dir, rxrpc_rs_proc_bundles, NULL) ||
	    !proc_create_net_single("peers", 0444, dir, rxrpc_rs_proc_peers, NULL) ||
	    !proc_create_net_single("locals", 0444, dir, rxrpc_rs_proc_locals, NULL) ||
	    !proc_create_net_single("stats", 0444, dir, rxrpc_rs_proc_stats, NULL)) {
		remove_proc_subtree("rxrpc", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

/* Removes the files and waits for readers still in a show callback. */
static void __net_exit rxrpc_rs_net_exit(struct net *net)
{
	remove_proc_subtree("rxrpc", net->proc_net);
}

static struct pernet_operations rxrpc_rs_net_ops = {
	.init	= rxrpc_rs_net_init,
	.exit	= rxrpc_rs_net_exit,
	.id	= &rxrpc_rs_net_id,
	.size	= sizeof(struct rxrpc_rs_net),
};

int rxrpc_rs_proc_register(void)
{
	return register_pernet_subsys(&rxrpc_rs_net_ops);
}

/* Every namespace's files are gone, and no show callback runs, on return. */
void rxrpc_rs_proc_unregister(void)
{
	unregister_pernet_subsys(&rxrpc_rs_net_ops);
}
