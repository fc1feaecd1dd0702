// SPDX-License-Identifier: GPL-2.0
/*
 * Wrappers for static inline functions and macros that Rust cannot call
 * in 6.12, and the softirq side of a UDP tunnel socket. kapi/ builds safe
 * abstractions on these; nothing here knows the protocol carried.
 */
#include <linux/cred.h>
#include <linux/key.h>
#include <linux/key-type.h>
#include <linux/udp.h>
#include <linux/ipv6.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>
#include <linux/uio.h>
#include <linux/uaccess.h>
#include <linux/poll.h>
#include <net/net_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <crypto/skcipher.h>
#include <linux/scatterlist.h>
#define RXRPC_TRACE_ONLY_DEFINE_ENUMS
#include <trace/events/rxrpc.h>
#include <net/af_rxrpc.h>
#include <keys/rxrpc-type.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/simd.h>
#include "glue.h"
#include "fcrypt_avx2.h"

/*
 * A cache of objects of one size, packed at that size: kmalloc rounds to
 * its size classes. No SLAB_HWCACHE_ALIGN, which would round again.
 */
struct kmem_cache *kapi_cache_create(const char *name, unsigned int size, unsigned int align)
{
	return kmem_cache_create(name, size, align, 0, NULL);
}

void kapi_cache_destroy(struct kmem_cache *cache)
{
	kmem_cache_destroy(cache);
}

/* Both allocators may sleep (GFP_KERNEL). */
void *kapi_cache_alloc(struct kmem_cache *cache)
{
	return kmem_cache_alloc(cache, GFP_KERNEL);
}

void *kapi_kmalloc(size_t size)
{
	return kmalloc(size, GFP_KERNEL);
}

/* Frees an object of kmalloc or of any cache (SLUB finds its cache). */
void kapi_kfree(const void *obj)
{
	kfree(obj);
}

void kapi_sock_put(struct sock *sk)
{
	sock_put(sk);
}

void kapi_sock_hold(struct sock *sk)
{
	sock_hold(sk);
}

void kapi_sock_orphan(struct sock *sk)
{
	sock_orphan(sk);
}

void kapi_sock_set_rcu_free(struct sock *sk)
{
	sock_set_flag(sk, SOCK_RCU_FREE);
}

struct net *kapi_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}

/*
 * Send buffer space was freed. Not sk_write_space: the default one judges
 * by sk_wmem_alloc, which the caller's data need not be charged to; the
 * caller has already decided that there is space.
 */
void kapi_sk_write_space(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_sync_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
	rcu_read_unlock();
	sk_wake_async(sk, SOCK_WAKE_SPACE, POLL_OUT);
}

int kapi_copy_from_sockptr(void *dst, sockptr_t src, size_t len)
{
	return copy_from_sockptr(dst, src, len) ? -EFAULT : 0;
}

void kapi_poll_wait(struct file *file, struct socket *sock, struct poll_table_struct *wait)
{
	sock_poll_wait(file, sock, wait);
}

/* Sleeps until *gen moves away from seen: the remaining jiffies, 0 or -ERESTARTSYS. */
long kapi_wait(struct sock *sk, const u32 *gen, u32 seen, long timeo)
{
	return wait_event_interruptible_timeout(*sk_sleep(sk), READ_ONCE(*gen) != seen, timeo);
}

/*
 * As kapi_wait, but also wakes when packets wait in t's receive queue, for
 * the caller to drain them itself: a reader that is woken by the packet,
 * rather than by the work item that handled it, saves the worker's wakeup
 * and a context switch for each packet. Returns as kapi_wait does, and a
 * positive value for packets to drain too. The caller then calls
 * kapi_udp_tunnel_take_rx, whatever this returned.
 */
long kapi_wait_rx(struct sock *sk, const u32 *gen, u32 seen, long timeo,
		  struct kapi_udp_tunnel *t)
{
	DEFINE_WAIT(sk_entry);
	DEFINE_WAIT(rx_entry);
	/*
	 * A niced reader leaves the packets to the worker, which runs at
	 * nice 0, so that it cannot hold up the endpoint's other sockets.
	 */
	bool drain = task_nice(current) <= 0;
	long ret;

	for (;;) {
		prepare_to_wait(sk_sleep(sk), &sk_entry, TASK_INTERRUPTIBLE);
		/* One reader at a time is woken for a packet (exclusive). */
		if (drain)
			prepare_to_wait_exclusive(&t->rx_wait, &rx_entry, TASK_INTERRUPTIBLE);
		if (READ_ONCE(*gen) != seen ||
		    (drain && !skb_queue_empty_lockless(&t->rx_queue))) {
			ret = max(timeo, 1L);
			break;
		}
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (!timeo) {
			ret = 0;
			break;
		}
		timeo = schedule_timeout(timeo);
	}
	finish_wait(sk_sleep(sk), &sk_entry);
	if (drain) {
		finish_wait(&t->rx_wait, &rx_entry);
		/*
		 * Off the queue (before the flag, for the softirq's
		 * wq_has_sleeper), so no later packet counts on us: the next
		 * one wakes another reader or queues the work. Packets that
		 * came before are the caller's, as it takes the queue's lock
		 * to drain after this.
		 */
		smp_mb__before_atomic();
		clear_bit(KAPI_UDP_RX_WAKING, &t->rx_flags);
		smp_mb__after_atomic();
	}
	return ret;
}

/*
 * Sleeps through signals for up to wait_ns (at least two jiffies) for
 * *gen to move away from seen. Returns 1 if it moved, 0 if not, or -EINTR
 * if not and a signal is pending.
 */
int kapi_wait_unint(struct sock *sk, const u32 *gen, u32 seen, u64 wait_ns)
{
	long timeo = max_t(long, nsecs_to_jiffies(wait_ns), 2);

	if (wait_event_timeout(*sk_sleep(sk), READ_ONCE(*gen) != seen, timeo))
		return 1;
	return signal_pending(current) ? -EINTR : 0;
}

/*
 * The control message after prev (or the first), with its level, type and
 * data length; NULL at the end. *bad is set for a malformed one.
 */
void *kapi_cmsg_next(struct msghdr *msg, void *prev, int *level, int *type,
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

size_t kapi_msg_left(struct msghdr *msg)
{
	return msg_data_left(msg);
}

/*
 * Payload copies that never sleep on a page fault, for a caller holding a
 * lock that others wait for: a page not in memory ends the copy short,
 * and kapi_msg_fault_in brings it in once the lock is dropped.
 */
size_t kapi_copy_from_msg_nofault(struct msghdr *msg, void *buf, size_t len)
{
	size_t n;

	pagefault_disable();
	n = copy_from_iter(buf, len, &msg->msg_iter);
	pagefault_enable();
	return n;
}

size_t kapi_copy_to_msg_nofault(struct msghdr *msg, const void *buf, size_t len)
{
	size_t n;

	pagefault_disable();
	n = copy_to_iter(buf, len, &msg->msg_iter);
	pagefault_enable();
	return n;
}

/*
 * Faults in up to len bytes of msg's payload (for writing: a recvmsg's
 * buffer); returns how many are in memory, 0 if the first page is bad.
 */
size_t kapi_msg_fault_in(struct msghdr *msg, size_t len, bool write)
{
	size_t left;

	if (write)
		left = fault_in_iov_iter_writeable(&msg->msg_iter, len);
	else
		left = fault_in_iov_iter_readable(&msg->msg_iter, len);
	return len - left;
}

const char *kapi_key_description(const struct key *key)
{
	return key->description;
}

struct key_type *kapi_key_type(const struct key *key)
{
	return key->type;
}

void **kapi_key_payload(struct key *key)
{
	return key->payload.data;
}

/* type NULL: a keyring, looked up without a network namespace tag. */
int kapi_request_key(struct key_type *type, const char *desc, struct net *net,
		     struct key **keyp)
{
	struct key *key = type ? request_key_net(type, desc, net, NULL) :
				 request_key(&key_type_keyring, desc, NULL);

	if (IS_ERR(key))
		return PTR_ERR(key);
	*keyp = key;
	return 0;
}

/* A key of type described desc in keyring, with a reference; ERR_PTR if none. */
struct key *kapi_keyring_search(struct key *keyring, struct key_type *type, const char *desc)
{
	key_ref_t ref = keyring_search(make_key_ref(keyring, 1), type, desc, false);

	return IS_ERR(ref) ? ERR_CAST(ref) : key_ref_to_ptr(ref);
}

/* A synchronous skcipher of alg keyed with key; ERR_PTR on failure. */
struct crypto_sync_skcipher *kapi_skcipher_new(const char *alg, const u8 *key,
					       unsigned int keylen)
{
	struct crypto_sync_skcipher *tfm = crypto_alloc_sync_skcipher(alg, 0, 0);
	int ret;

	if (IS_ERR(tfm))
		return tfm;
	ret = crypto_sync_skcipher_setkey(tfm, key, keylen);
	if (ret < 0) {
		crypto_free_sync_skcipher(tfm);
		return ERR_PTR(ret);
	}
	return tfm;
}

void kapi_skcipher_free(struct crypto_sync_skcipher *tfm)
{
	crypto_free_sync_skcipher(tfm);
}

/*
 * Encrypts or decrypts len bytes of data in place. A scatterlist needs
 * memory in the linear map: data elsewhere (a stack on vmalloc) goes
 * through a bounce buffer.
 */
int kapi_skcipher_crypt(struct crypto_sync_skcipher *tfm, const u8 *iv, unsigned int ivlen,
			u8 *data, unsigned int len, bool encrypt)
{
	SYNC_SKCIPHER_REQUEST_ON_STACK(req, tfm);
	u8 ivbuf[16], *buf = data;
	struct scatterlist sg;
	int ret;

	if (ivlen > sizeof(ivbuf) || ivlen != crypto_sync_skcipher_ivsize(tfm))
		return -EINVAL;
	if (!virt_addr_valid(data) || !virt_addr_valid(data + len - 1)) {
		buf = kmemdup(data, len, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	memcpy(ivbuf, iv, ivlen);
	sg_init_one(&sg, buf, len);
	skcipher_request_set_sync_tfm(req, tfm);
	skcipher_request_set_callback(req, 0, NULL, NULL);
	skcipher_request_set_crypt(req, &sg, &sg, len, ivbuf);
	ret = encrypt ? crypto_skcipher_encrypt(req) : crypto_skcipher_decrypt(req);
	skcipher_request_zero(req);
	if (buf != data) {
		memcpy(data, buf, len);
		kfree_sensitive(buf);
	}
	return ret;
}

static bool kapi_fcrypt_simd __read_mostly;

/* Use AVX2 if on and the CPU has it, with its register state saved. */
bool kapi_fcrypt_simd_enable(bool on)
{
	kapi_fcrypt_simd = on && boot_cpu_has(X86_FEATURE_AVX2) &&
			   cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM, NULL);
	return kapi_fcrypt_simd;
}

/* Blocks per kernel_fpu_begin(), which holds off preemption: 4 KiB in all. */
#define KAPI_FPU_BLOCKS 512

bool kapi_fcrypt_simd_decrypt(const u32 *sched, const u32 *tables, const u8 *in,
			      u8 *out, size_t blocks)
{
	if (!kapi_fcrypt_simd || !may_use_simd())
		return false;
	while (blocks) {
		size_t n = min_t(size_t, blocks, KAPI_FPU_BLOCKS);

		kernel_fpu_begin();
		kapi_fcrypt_avx2_decrypt(sched, (const u32 (*)[256])tables, in, out, n);
		kernel_fpu_end();
		in += 8 * n;
		out += 8 * n;
		blocks -= n;
	}
	return true;
}

bool kapi_fcrypt_simd_encrypt_lanes(const u32 *sched, const u32 *tables,
				    const u8 *iv, u8 *const *data,
				    unsigned int lanes, size_t blocks)
{
	size_t first, n;
	u32 chain[16], w[2];

	if (!kapi_fcrypt_simd || lanes < 1 || lanes > 8 || !may_use_simd())
		return false;
	memcpy(w, iv, 8);
	for (unsigned int j = 0; j < 8; j++) {
		chain[j] = w[0];
		chain[8 + j] = w[1];
	}
	for (first = 0; first < blocks; first += n) {
		n = min_t(size_t, blocks - first, KAPI_FPU_BLOCKS / 8);
		kernel_fpu_begin();
		kapi_fcrypt_avx2_encrypt_lanes(sched, (const u32 (*)[256])tables, chain,
					       data, lanes, first, n);
		kernel_fpu_end();
	}
	return true;
}

struct proc_dir_entry *kapi_proc_net_mkdir(struct net *net, const char *name)
{
	return proc_net_mkdir(net, name, net->proc_net);
}

/* Removes the directory and waits for readers still in a show callback. */
void kapi_proc_net_remove(struct net *net, const char *name)
{
	remove_proc_subtree(name, net->proc_net);
}

struct net *kapi_seq_net(struct seq_file *seq)
{
	return seq_file_single_net(seq);
}

void *kapi_seq_pde_data(struct seq_file *seq)
{
	return pde_data(file_inode(seq->file));
}

static void kapi_udp_tunnel_work(struct work_struct *work)
{
	struct kapi_udp_tunnel *t = container_of(work, struct kapi_udp_tunnel, work);

	t->work_fn(t);
}

/*
 * The work runs on the CPU that queued it (system_wq): where the packet
 * arrived or the timer fired, as a socket's softirq work does. On the
 * unbound queue each packet took a wakeup of the unbound pool's worker:
 * small calls cost 9% more there, in a one-CPU guest.
 */
static void kapi_udp_tunnel_timer(struct timer_list *timer)
{
	struct kapi_udp_tunnel *t = from_timer(t, timer, timer);

	queue_work(system_wq, &t->work);
}

void kapi_udp_tunnel_init(struct kapi_udp_tunnel *t,
			  void (*work_fn)(struct kapi_udp_tunnel *t))
{
	memset(t, 0, sizeof(*t));
	t->work_fn = work_fn;
	spin_lock_init(&t->err_lock);
	skb_queue_head_init(&t->rx_queue);
	init_waitqueue_head(&t->rx_wait);
	INIT_WORK(&t->work, kapi_udp_tunnel_work);
	timer_setup(&t->timer, kapi_udp_tunnel_timer, 0);
}

/* Softirq: queue the packet for the work item. */
static int kapi_udp_tunnel_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct kapi_udp_tunnel *t = rcu_dereference_sk_user_data(sk);

	if (!t || skb_queue_len(&t->rx_queue) >= t->rx_max_packets ||
	    atomic_read(&t->rx_queue_bytes) > t->rx_max_bytes - (int)skb->truesize) {
		if (t)
			atomic64_inc(&t->rx_dropped);
		kfree_skb(skb);
		return 0;
	}
	atomic_add(skb->truesize, &t->rx_queue_bytes);
	skb_queue_tail(&t->rx_queue, skb);
	/*
	 * A work item queued and not yet started, or a reader woken and not
	 * yet off its wait, takes this packet too (each clears its flag
	 * before it drains, and the queue's lock orders the two): skip the
	 * wakeup for each one of a burst.
	 */
	if (work_pending(&t->work) || test_and_set_bit(KAPI_UDP_RX_WAKING, &t->rx_flags))
		return 0;
	if (wq_has_sleeper(&t->rx_wait)) {
		wake_up_interruptible_sync(&t->rx_wait);
		return 0;
	}
	clear_bit(KAPI_UDP_RX_WAKING, &t->rx_flags);
	queue_work(system_wq, &t->work);
	return 0;
}

/*
 * Runs work_fn here if received packets wait (after kapi_wait_rx), with
 * the kernel's credentials, as the work item would: what it does for the
 * endpoint's other sockets (a server key looked up in a keyring) must not
 * depend on which process happened to be waiting.
 */
void kapi_udp_tunnel_take_rx(struct kapi_udp_tunnel *t)
{
	const struct cred *old;

	if (skb_queue_empty_lockless(&t->rx_queue))
		return;
	if (!t->cred) {
		queue_work(system_wq, &t->work);
		return;
	}
	old = override_creds(t->cred);
	t->work_fn(t);
	revert_creds(old);
}

/*
 * Softirq: an ICMP error about a packet we sent. skb->data is the IP
 * header of that packet, so its destination is the peer concerned.
 */
static void kapi_udp_tunnel_err_rcv(struct sock *sk, struct sk_buff *skb, int err,
				    __be16 port, u32 info, u8 *payload)
{
	struct kapi_udp_tunnel *t = rcu_dereference_sk_user_data(sk);
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	struct kapi_udp_error e = { .err = err };
	unsigned long flags;

	if (!t)
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
	spin_lock_irqsave(&t->err_lock, flags);
	if (t->err_count < KAPI_UDP_ERROR_RING) {
		t->errs[(t->err_head + t->err_count) % KAPI_UDP_ERROR_RING] = e;
		t->err_count++;
	}
	spin_unlock_irqrestore(&t->err_lock, flags);
	queue_work(system_wq, &t->work);
}

/* Takes the oldest queued ICMP error: 1, or 0 if there is none. */
int kapi_udp_tunnel_next_error(struct kapi_udp_tunnel *t, struct kapi_udp_error *e)
{
	unsigned long flags;
	int found = 0;

	spin_lock_irqsave(&t->err_lock, flags);
	if (t->err_count) {
		*e = t->errs[t->err_head];
		t->err_head = (t->err_head + 1) % KAPI_UDP_ERROR_RING;
		t->err_count--;
		found = 1;
	}
	spin_unlock_irqrestore(&t->err_lock, flags);
	return found;
}

/* The address the UDP socket is bound to (a as asked, if unknown). */
static void kapi_udp_tunnel_note_local(struct kapi_udp_tunnel *t, const struct kapi_addr *a)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	t->local = *a;
	if (kernel_getsockname(t->udp, (struct sockaddr *)&ss) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		t->local.family = AF_INET;
		t->local.port = ntohs(sin->sin_port);
		memcpy(t->local.addr, &sin->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		t->local.family = AF_INET6;
		t->local.port = ntohs(sin6->sin6_port);
		memcpy(t->local.addr, &sin6->sin6_addr, 16);
	}
}

/* The tunnel socket's send buffer, in skb truesize. */
#define KAPI_UDP_SNDBUF (4 << 20)

int kapi_udp_tunnel_open(struct kapi_udp_tunnel *t, struct net *net,
			 const struct kapi_addr *a, u8 encap_type,
			 unsigned int rx_max_packets, int rx_max_bytes)
{
	struct udp_tunnel_sock_cfg tuncfg = {};
	struct udp_port_cfg conf = {};
	int ret;

	t->rx_max_packets = rx_max_packets;
	t->rx_max_bytes = rx_max_bytes;
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
	t->cred = prepare_kernel_cred(&init_task);
	if (!t->cred)
		return -ENOMEM;
	ret = udp_sock_create(net, &conf, &t->udp);
	if (ret < 0)
		return ret;

	tuncfg.encap_type = encap_type;
	tuncfg.encap_rcv = kapi_udp_tunnel_rcv;
	tuncfg.encap_err_rcv = kapi_udp_tunnel_err_rcv;
	tuncfg.sk_user_data = t;
	setup_udp_tunnel_sock(net, t->udp, &tuncfg);
	if (a->family == AF_INET6)
		ip6_sock_set_recverr(t->udp->sk);
	ip_sock_set_recverr(t->udp->sk);
	/*
	 * DF on IPv4, as C sets it: a datagram then takes no IP ID from the
	 * shared generator (a siphash each), and the path's MTU comes back by
	 * ICMP rather than as fragments. One too large for the route goes
	 * again without DF (kapi_udp_tunnel_send).
	 */
	ip_sock_set_mtu_discover(t->udp->sk, IP_PMTUDISC_DO);
	/*
	 * Sends never wait for room (MSG_DONTWAIT: the caller holds a lock),
	 * so a send buffer that fills drops datagrams for the protocol to
	 * resend. The default (212 KiB of skbs) fills with a window of jumbo
	 * packets on a link whose driver frees them late; C's I/O thread
	 * waits instead.
	 */
	lock_sock(t->udp->sk);
	t->udp->sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	WRITE_ONCE(t->udp->sk->sk_sndbuf, KAPI_UDP_SNDBUF);
	release_sock(t->udp->sk);
	kapi_udp_tunnel_note_local(t, a);
	return 0;
}

/* Process context. No receive callback or work runs after this returns. */
void kapi_udp_tunnel_close(struct kapi_udp_tunnel *t)
{
	if (t->udp)
		udp_tunnel_sock_release(t->udp);
	t->udp = NULL;
	timer_delete_sync(&t->timer);
	cancel_work_sync(&t->work);
	skb_queue_purge(&t->rx_queue);
	kapi_txpages_release(&t->heads);
	if (t->cred)
		put_cred(t->cred);
	t->cred = NULL;
}

/* Makes the timer fire no later than delay_ns from now (one jiffy at least). */
void kapi_udp_tunnel_arm(struct kapi_udp_tunnel *t, u64 delay_ns)
{
	unsigned long delay = nsecs_to_jiffies(delay_ns);

	timer_reduce(&t->timer, jiffies + (delay ? delay : 1));
}

/*
 * How many pieces skb's data lies in, and piece want of them into *data
 * and *len (if there is one), or 0 if it does not lie in at most max that
 * can be read where they are: its head if it is linear; else its head (if
 * not empty), then its page fragments, as in a NIC's paged packet, a large
 * one the IP layer built in pages (loopback's jumbo packets), or a segment
 * of a UDP GSO packet. Not pages a sender may still write to (spliced
 * ones): what was checked on arrival must be what the reader gets.
 * Fragments that lie one after the other in memory (the pages of one
 * allocation, as a sender that splices its buffers gives them) are one
 * piece.
 */
static unsigned int kapi_payload_pieces(struct sk_buff *skb, unsigned int max,
					unsigned int want, const void **data, size_t *len)
{
	const struct skb_shared_info *sh = skb_shinfo(skb);
	const u8 *cur = NULL;	/* piece n - 1, so far */
	size_t cur_len = 0;
	unsigned int n = 0, i;

	if (!max)
		return 0;
	if (!skb_is_nonlinear(skb)) {
		if (want == 0) {
			*data = skb->data;
			*len = skb->len;
		}
		return 1;
	}
	if (skb_has_frag_list(skb) || !skb_frags_readable(skb) || skb_has_shared_frag(skb))
		return 0;
	if (skb_headlen(skb)) {
		cur = skb->data;
		cur_len = skb_headlen(skb);
		n++;
	}
	for (i = 0; i < sh->nr_frags; i++) {
		const skb_frag_t *frag = &sh->frags[i];
		const u8 *p;

		if (!skb_frag_size(frag))
			continue;
		p = skb_frag_address_safe(frag);
		if (!p)
			return 0;
		if (n && p == cur + cur_len) {
			cur_len += skb_frag_size(frag);
			continue;
		}
		if (n && want == n - 1) {
			*data = cur;
			*len = cur_len;
		}
		if (n == max)
			return 0;
		cur = p;
		cur_len = skb_frag_size(frag);
		n++;
	}
	if (n && want == n - 1) {
		*data = cur;
		*len = cur_len;
	}
	return n;
}

/*
 * Piece i of the payload of a packet kapi_udp_tunnel_next handed out in
 * max pieces or fewer: its bytes into *data; returns its length, 0 if there
 * is no such piece.
 */
size_t kapi_udp_tunnel_piece(struct sk_buff *skb, unsigned int max, unsigned int i,
			     const void **data)
{
	size_t len = 0;

	if (i >= kapi_payload_pieces(skb, max, i, data, &len))
		return 0;
	return len;
}

/*
 * Takes the next received packet: its source into from, and where its UDP
 * payload is: in the packet itself if that lies in at most *npieces pieces
 * that can be read in place (a linear packet, as loopback's small ones
 * are, or a paged one), or once made linear (one copy: a packet in more
 * pieces, or one reassembled from IP fragments), and then *skb is the
 * packet, for the caller to free with kapi_udp_tunnel_consume once done
 * with the payload (it may keep it, and more references to it, as long as
 * it likes: the packet pins no route, socket or conntrack entry); else (no
 * memory to make it one piece) copied into buf (cap bytes), the packet
 * freed and *skb NULL. *npieces (on entry the most it takes) becomes how
 * many pieces (1 for a copy), the first of them in *data and *first_len
 * (kapi_udp_tunnel_piece gives the others). Returns the payload length,
 * -EMSGSIZE for a packet to copy that is larger than cap or -EBADMSG for
 * one without a UDP header (dropped), or -ENOENT when the queue is empty.
 */
int kapi_udp_tunnel_next(struct kapi_udp_tunnel *t, struct kapi_addr *from,
			 void *buf, size_t cap, const void **data, size_t *first_len,
			 unsigned int *npieces, struct sk_buff **skbp)
{
	unsigned int max = *npieces;
	struct sk_buff *skb;
	int len;

	*npieces = 0;
	if (!max)
		return -EINVAL;
	while ((skb = skb_dequeue(&t->rx_queue))) {
		atomic_sub(skb->truesize, &t->rx_queue_bytes);
		if (!pskb_may_pull(skb, sizeof(struct udphdr))) {
			kfree_skb(skb);
			return -EBADMSG;
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
		*npieces = kapi_payload_pieces(skb, max, 0, data, first_len);
		if (!*npieces && !skb_linearize(skb))
			*npieces = kapi_payload_pieces(skb, max, 0, data, first_len);
		if (*npieces) {
			skb_orphan(skb);
			skb_dst_drop(skb);
			nf_reset_ct(skb);
			*skbp = skb;
			return len;
		}
		if (len > cap) {
			kfree_skb(skb);
			return -EMSGSIZE;
		}
		if (skb_copy_bits(skb, 0, buf, len) < 0)
			len = -EMSGSIZE;
		*data = buf;
		*first_len = len < 0 ? 0 : len;
		*npieces = 1;
		kfree_skb(skb);
		return len;
	}
	return -ENOENT;
}

/* A reference to a packet kapi_udp_tunnel_next handed out in place, used. */
void kapi_udp_tunnel_consume(struct sk_buff *skb)
{
	consume_skb(skb);
}

/* Another reference to a packet kapi_udp_tunnel_next handed out in place. */
void kapi_udp_tunnel_share(struct sk_buff *skb)
{
	skb_get(skb);
}

/* A destination for t's socket. */
union kapi_udp_dest {
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

/* msg addressed to to, through dest. */
static int kapi_udp_tunnel_address(struct kapi_udp_tunnel *t, const struct kapi_addr *to,
				   union kapi_udp_dest *dest, struct msghdr *msg)
{
	if (!t->udp)
		return -ESHUTDOWN;
	memset(dest, 0, sizeof(*dest));
	if (t->udp->sk->sk_family == AF_INET6) {
		dest->sin6.sin6_family = AF_INET6;
		dest->sin6.sin6_port = htons(to->port);
		if (to->family == AF_INET)
			ipv6_addr_set_v4mapped(*(__be32 *)to->addr, &dest->sin6.sin6_addr);
		else
			memcpy(&dest->sin6.sin6_addr, to->addr, 16);
		msg->msg_namelen = sizeof(dest->sin6);
	} else {
		if (to->family != AF_INET)
			return -EAFNOSUPPORT;
		dest->sin.sin_family = AF_INET;
		dest->sin.sin_port = htons(to->port);
		memcpy(&dest->sin.sin_addr, to->addr, 4);
		msg->msg_namelen = sizeof(dest->sin);
	}
	msg->msg_name = dest;
	return 0;
}

/*
 * Sends one datagram gathered from the n pieces at iov, len bytes in all:
 * the socket copies them into its skb, so they need live only for the call.
 * With seg, the len bytes are datagrams of seg bytes each but the last (UDP
 * segmentation offload: one skb through the stack, split by the device or
 * just before it); one too large for the route fails with -EMSGSIZE.
 */
int kapi_udp_tunnel_send(struct kapi_udp_tunnel *t, const struct kapi_addr *to,
			 struct kvec *iov, size_t n, size_t len, u16 seg)
{
	union kapi_udp_dest dest;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	union {
		char buf[CMSG_SPACE(sizeof(u16))];
		struct cmsghdr align;
	} control = {};
	int ret;

	ret = kapi_udp_tunnel_address(t, to, &dest, &msg);
	if (ret < 0)
		return ret;
	if (seg) {
		struct cmsghdr *cmsg = &control.align;

		cmsg->cmsg_level = SOL_UDP;
		cmsg->cmsg_type = UDP_SEGMENT;
		cmsg->cmsg_len = CMSG_LEN(sizeof(u16));
		*(u16 *)CMSG_DATA(cmsg) = seg;
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		return kernel_sendmsg(t->udp, &msg, iov, n, len);
	}
	ret = kernel_sendmsg(t->udp, &msg, iov, n, len);
	if (ret == -EMSGSIZE && to->family == AF_INET) {
		/* Larger than the route's MTU: let IP fragment it, as C does. */
		ip_sock_set_mtu_discover(t->udp->sk, IP_PMTUDISC_DONT);
		ret = kernel_sendmsg(t->udp, &msg, iov, n, len);
		ip_sock_set_mtu_discover(t->udp->sk, IP_PMTUDISC_DO);
	}
	return ret;
}

/*
 * How many skb fragments the n pieces at iov make, taken by reference
 * (MAX_SKB_FRAGS + 1 if more, or if one lies in pages an skb may not take:
 * slab, as sendpage_ok says). A fragment is a part of one page.
 */
static unsigned int kapi_splice_frags(const struct kvec *iov, size_t n)
{
	const struct page *last = NULL;
	unsigned int frags = 0;
	size_t last_end = 0, i;

	for (i = 0; i < n; i++) {
		const u8 *p = iov[i].iov_base;
		size_t len = iov[i].iov_len;

		while (len) {
			size_t off = offset_in_page(p), part = min_t(size_t, len, PAGE_SIZE - off);
			struct page *page;

			if (!virt_addr_valid(p))
				return MAX_SKB_FRAGS + 1;
			page = virt_to_page(p);
			if (!sendpage_ok(page))
				return MAX_SKB_FRAGS + 1;
			if ((page != last || off != last_end) && ++frags > MAX_SKB_FRAGS)
				return frags;
			last = page;
			last_end = off + part;
			p += part;
			len -= part;
		}
	}
	return frags;
}

/* The longest first piece kapi_udp_tunnel_send_spliced copies. */
#define KAPI_SPLICE_HEAD_MAX 256
/*
 * The shortest datagram it sends by reference: shorter, a copy costs less
 * than the page references, and the receiver gets it in one piece.
 */
#define KAPI_SPLICE_MIN 4096

/*
 * Sends one datagram as kapi_udp_tunnel_send does, but with its pieces in
 * the skb by reference (MSG_SPLICE_PAGES), not by copy: those after the
 * first must lie in kapi_txpages buffers that the caller no longer writes
 * (so the fragments are not shared with a writer: MSG_NO_SHARED_FRAGS), and
 * the first (the wire header) is copied into pages of the tunnel's own for
 * that, whose part the skb keeps. iov[0] is changed during the call. Sent
 * by copy instead when short, when the pieces would take more than an
 * skb's fragments, or when too large for the route. The caller serialises
 * sends on t.
 */
int kapi_udp_tunnel_send_spliced(struct kapi_udp_tunnel *t, const struct kapi_addr *to,
				 struct kvec *iov, size_t n, size_t len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_SPLICE_PAGES | MSG_NO_SHARED_FRAGS };
	struct kvec head = iov[0];
	union kapi_udp_dest dest;
	void *copy;
	int ret;

	if (!t->udp || n < 2 || len < KAPI_SPLICE_MIN)
		return kapi_udp_tunnel_send(t, to, iov, n, len, 0);
	if (head.iov_len > KAPI_SPLICE_HEAD_MAX || kapi_splice_frags(iov + 1, n - 1) >= MAX_SKB_FRAGS)
		goto copy;
	ret = kapi_udp_tunnel_address(t, to, &dest, &msg);
	if (ret < 0)
		return ret;
	copy = kapi_txpages_alloc(&t->heads, head.iov_len);
	if (!copy)
		goto copy;
	memcpy(copy, head.iov_base, head.iov_len);
	iov[0].iov_base = copy;
	ret = kernel_sendmsg(t->udp, &msg, iov, n, len);
	iov[0] = head;
	kapi_txpages_free(copy);
	if (ret == -EMSGSIZE)
		goto copy;
	if (ret >= 0)
		atomic64_inc(&t->tx_by_ref);
	return ret;
copy:
	atomic64_inc(&t->tx_by_copy);
	return kapi_udp_tunnel_send(t, to, iov, n, len, 0);
}

void *kapi_txpages_alloc(struct kapi_txpages *c, size_t len)
{
	void *p;

	if (!c->page || len > c->size - c->used) {
		/* Runs of 8 pages, as the sockets' page_frag; one if that fails. */
		unsigned int order = get_order(SZ_32K);
		struct page *page;

		if (len > PAGE_SIZE << order)
			return NULL;
		page = alloc_pages(GFP_KERNEL | __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY, order);
		if (!page && len <= PAGE_SIZE) {
			order = 0;
			page = alloc_page(GFP_KERNEL);
		}
		if (!page)
			return NULL;
		kapi_txpages_release(c);
		c->page = page;
		c->used = 0;
		c->size = PAGE_SIZE << order;
	}
	p = page_address(c->page) + c->used;
	c->used += len;
	get_page(c->page);
	return p;
}

/* A buffer kapi_txpages_alloc made is done with. */
void kapi_txpages_free(void *p)
{
	put_page(virt_to_page(p));
}

/* No more buffers are cut from c's pages. */
void kapi_txpages_release(struct kapi_txpages *c)
{
	if (c->page)
		put_page(c->page);
	c->page = NULL;
}

/*
 * The MTU of the route to to in net (as net/rxrpc's rxrpc_assess_MTU_size
 * finds it), or 0 if there is no route.
 */
unsigned int kapi_route_mtu(struct net *net, const struct kapi_addr *to)
{
	struct dst_entry *dst;
	unsigned int mtu;

	if (to->family == AF_INET) {
		struct flowi4 fl4;
		struct rtable *rt;

		rt = ip_route_output_ports(net, &fl4, NULL, *(__be32 *)to->addr, 0,
					   htons(to->port), 0, IPPROTO_UDP, 0, 0);
		if (IS_ERR(rt))
			return 0;
		dst = &rt->dst;
	} else {
#if IS_ENABLED(CONFIG_IPV6)
		struct flowi6 fl6 = {
			.flowi6_proto = IPPROTO_UDP,
			.fl6_dport = htons(to->port),
		};

		memcpy(&fl6.daddr, to->addr, 16);
		dst = ip6_route_output(net, NULL, &fl6);
		if (dst->error) {
			dst_release(dst);
			return 0;
		}
#else
		return 0;
#endif
	}
	mtu = dst_mtu(dst);
	dst_release(dst);
	return mtu;
}

/*
 * The in-kernel AF_RXRPC interface. Each exported function calls through
 * the ops that the module's init registers before any user of these
 * symbols can load (they depend on this module), and that stay until the
 * module's exit, after every user has gone.
 */
static const struct kapi_af_rxrpc_ops *kapi_af_rxrpc;

/* Filled in by the registration of the client key type. */
struct key_type key_type_rxrpc;
EXPORT_SYMBOL(key_type_rxrpc);

atomic_t rxrpc_debug_id;
EXPORT_SYMBOL(rxrpc_debug_id);

int kapi_af_rxrpc_register(const struct kapi_af_rxrpc_ops *ops)
{
	if (cmpxchg(&kapi_af_rxrpc, NULL, ops))
		return -EBUSY;
	return 0;
}

void kapi_af_rxrpc_unregister(void)
{
	WRITE_ONCE(kapi_af_rxrpc, NULL);
}

struct key_type *kapi_af_rxrpc_key_type(void)
{
	return &key_type_rxrpc;
}

struct key *kapi_key_get(struct key *key)
{
	return key_get(key);
}

/* A key of type with no payload, as rxrpc_get_null_key makes it. */
struct key *kapi_key_create_empty(struct key_type *type, const char *desc)
{
	struct key *key;
	int ret;

	key = key_alloc(type, desc, GLOBAL_ROOT_UID, GLOBAL_ROOT_GID, current_cred(),
			KEY_POS_SEARCH, KEY_ALLOC_NOT_IN_QUOTA, NULL);
	if (IS_ERR(key))
		return key;
	ret = key_instantiate_and_link(key, NULL, 0, NULL, NULL);
	if (ret < 0) {
		key_revoke(key);
		key_put(key);
		return ERR_PTR(ret);
	}
	return key;
}

size_t kapi_iter_count(const struct iov_iter *iter)
{
	return iov_iter_count(iter);
}

size_t kapi_copy_to_iter(struct iov_iter *iter, const void *buf, size_t len)
{
	return copy_to_iter(buf, len, iter);
}

struct key *rxrpc_get_null_key(const char *keyname)
{
	return kapi_key_create_empty(&key_type_rxrpc, keyname);
}
EXPORT_SYMBOL(rxrpc_get_null_key);

void rxrpc_kernel_set_notifications(struct socket *sock, const struct rxrpc_kernel_ops *app_ops)
{
	kapi_af_rxrpc->set_notifications(sock, app_ops);
}
EXPORT_SYMBOL(rxrpc_kernel_set_notifications);

struct rxrpc_call *rxrpc_kernel_begin_call(struct socket *sock, struct rxrpc_peer *peer,
					   struct key *key, unsigned long user_call_ID,
					   s64 tx_total_len, u32 hard_timeout, gfp_t gfp,
					   rxrpc_notify_rx_t notify_rx, u16 service_id,
					   bool upgrade,
					   enum rxrpc_interruptibility interruptibility,
					   unsigned int debug_id)
{
	return kapi_af_rxrpc->begin_call(sock, peer, key, user_call_ID, tx_total_len,
					 hard_timeout, notify_rx, service_id, upgrade,
					 interruptibility);
}
EXPORT_SYMBOL(rxrpc_kernel_begin_call);

int rxrpc_kernel_send_data(struct socket *sock, struct rxrpc_call *call, struct msghdr *msg,
			   size_t len, rxrpc_notify_end_tx_t notify_end_tx)
{
	return kapi_af_rxrpc->send_data(sock, call, msg, len, notify_end_tx);
}
EXPORT_SYMBOL(rxrpc_kernel_send_data);

int rxrpc_kernel_recv_data(struct socket *sock, struct rxrpc_call *call, struct iov_iter *iter,
			   size_t *len, bool want_more, u32 *abort_code, u16 *service_id)
{
	return kapi_af_rxrpc->recv_data(sock, call, iter, len, want_more, abort_code, service_id);
}
EXPORT_SYMBOL(rxrpc_kernel_recv_data);

bool rxrpc_kernel_abort_call(struct socket *sock, struct rxrpc_call *call, u32 abort_code,
			     int error, enum rxrpc_abort_reason why)
{
	return kapi_af_rxrpc->abort_call(sock, call, abort_code, error);
}
EXPORT_SYMBOL(rxrpc_kernel_abort_call);

void rxrpc_kernel_shutdown_call(struct socket *sock, struct rxrpc_call *call)
{
	kapi_af_rxrpc->shutdown_call(sock, call);
}
EXPORT_SYMBOL(rxrpc_kernel_shutdown_call);

void rxrpc_kernel_put_call(struct socket *sock, struct rxrpc_call *call)
{
	if (call)
		kapi_af_rxrpc->put_call(sock, call);
}
EXPORT_SYMBOL(rxrpc_kernel_put_call);

struct rxrpc_peer *rxrpc_kernel_lookup_peer(struct socket *sock, struct sockaddr_rxrpc *srx,
					    gfp_t gfp)
{
	return kapi_af_rxrpc->lookup_peer(sock, srx);
}
EXPORT_SYMBOL(rxrpc_kernel_lookup_peer);

void rxrpc_kernel_put_peer(struct rxrpc_peer *peer)
{
	if (peer)
		kapi_af_rxrpc->put_peer(peer);
}
EXPORT_SYMBOL(rxrpc_kernel_put_peer);

struct rxrpc_peer *rxrpc_kernel_get_peer(struct rxrpc_peer *peer)
{
	return peer ? kapi_af_rxrpc->get_peer(peer) : NULL;
}
EXPORT_SYMBOL(rxrpc_kernel_get_peer);

struct rxrpc_peer *rxrpc_kernel_get_call_peer(struct socket *sock, struct rxrpc_call *call)
{
	return kapi_af_rxrpc->get_call_peer(sock, call);
}
EXPORT_SYMBOL(rxrpc_kernel_get_call_peer);

const struct sockaddr_rxrpc *rxrpc_kernel_remote_srx(const struct rxrpc_peer *peer)
{
	return kapi_af_rxrpc->remote_srx(peer);
}
EXPORT_SYMBOL(rxrpc_kernel_remote_srx);

const struct sockaddr *rxrpc_kernel_remote_addr(const struct rxrpc_peer *peer)
{
	return (const struct sockaddr *)&kapi_af_rxrpc->remote_srx(peer)->transport;
}
EXPORT_SYMBOL(rxrpc_kernel_remote_addr);

unsigned long rxrpc_kernel_set_peer_data(struct rxrpc_peer *peer, unsigned long app_data)
{
	return kapi_af_rxrpc->set_peer_data(peer, app_data);
}
EXPORT_SYMBOL(rxrpc_kernel_set_peer_data);

unsigned long rxrpc_kernel_get_peer_data(const struct rxrpc_peer *peer)
{
	return kapi_af_rxrpc->get_peer_data(peer);
}
EXPORT_SYMBOL(rxrpc_kernel_get_peer_data);

unsigned int rxrpc_kernel_get_srtt(const struct rxrpc_peer *peer)
{
	return kapi_af_rxrpc->get_srtt(peer);
}
EXPORT_SYMBOL(rxrpc_kernel_get_srtt);

int rxrpc_kernel_charge_accept(struct socket *sock, rxrpc_notify_rx_t notify_rx,
			       unsigned long user_call_ID, gfp_t gfp, unsigned int debug_id)
{
	return kapi_af_rxrpc->charge_accept(sock, notify_rx, user_call_ID);
}
EXPORT_SYMBOL(rxrpc_kernel_charge_accept);

void rxrpc_kernel_set_tx_length(struct socket *sock, struct rxrpc_call *call, s64 tx_total_len)
{
	kapi_af_rxrpc->set_tx_length(sock, call, tx_total_len);
}
EXPORT_SYMBOL(rxrpc_kernel_set_tx_length);

bool rxrpc_kernel_check_life(const struct socket *sock, const struct rxrpc_call *call)
{
	return kapi_af_rxrpc->check_life(sock, call);
}
EXPORT_SYMBOL(rxrpc_kernel_check_life);

u32 rxrpc_kernel_get_epoch(struct socket *sock, struct rxrpc_call *call)
{
	return kapi_af_rxrpc->get_epoch(sock, call);
}
EXPORT_SYMBOL(rxrpc_kernel_get_epoch);

void rxrpc_kernel_set_max_life(struct socket *sock, struct rxrpc_call *call,
			       unsigned long hard_timeout)
{
	kapi_af_rxrpc->set_max_life(sock, call, hard_timeout);
}
EXPORT_SYMBOL(rxrpc_kernel_set_max_life);

int rxrpc_sock_set_min_security_level(struct sock *sk, unsigned int val)
{
	return kapi_af_rxrpc->set_min_security_level(sk, val);
}
EXPORT_SYMBOL(rxrpc_sock_set_min_security_level);

int rxrpc_sock_set_security_keyring(struct sock *sk, struct key *keyring)
{
	return kapi_af_rxrpc->set_security_keyring(sk, keyring);
}
EXPORT_SYMBOL(rxrpc_sock_set_security_keyring);
