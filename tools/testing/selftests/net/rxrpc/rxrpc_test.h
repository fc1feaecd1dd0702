/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the AF_RXRPC kselftests. */
#ifndef RXRPC_TEST_H
#define RXRPC_TEST_H

#include <arpa/inet.h>	/* before <linux/rxrpc.h>, for <linux/in.h> */
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <linux/rxrpc.h>

#ifndef AF_RXRPC
#define AF_RXRPC 33
#endif
#ifndef SOL_RXRPC
#define SOL_RXRPC 272
#endif

typedef int32_t key_serial_t;

/* The implementation under test: "rs" (ours) or "c" (the kernel's). */
static inline const char *rxrpc_impl(void)
{
	const char *impl = getenv("RXRPC_IMPL");

	return impl ? impl : "rs";
}

/*
 * Tests named c_* pin a quirk or a bug of the C module that ours need not
 * (and often should not) copy: they run on the C module only.
 */
#define C_ONLY() do { \
	if (strcmp(rxrpc_impl(), "c")) \
		SKIP(return, "pins a quirk of the C module"); \
} while (0)

/* Skips a case on the C module, where the behaviour differs on purpose. */
#define OURS_ONLY(why) do { \
	if (!strcmp(rxrpc_impl(), "c")) \
		SKIP(return, why); \
} while (0)

static inline key_serial_t add_key(const char *type, const char *desc,
				   const void *payload, size_t len,
				   key_serial_t ring)
{
	return syscall(__NR_add_key, type, desc, payload, len, ring);
}

static inline long keyctl_read(key_serial_t key, void *buf, size_t len)
{
	return syscall(__NR_keyctl, KEYCTL_READ, key, buf, len, 0);
}

static inline long keyctl_describe(key_serial_t key, char *buf, size_t len)
{
	return syscall(__NR_keyctl, KEYCTL_DESCRIBE, key, buf, len, 0);
}

static inline long keyctl_unlink(key_serial_t key, key_serial_t ring)
{
	return syscall(__NR_keyctl, KEYCTL_UNLINK, key, ring, 0, 0);
}

/* Returns -errno of socket(AF_RXRPC, type, protocol), closing it on success. */
static inline int try_socket(int type, int protocol)
{
	int fd = socket(AF_RXRPC, type, protocol);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * Helpers for the socket API tests (bind, options, control messages, calls).
 * Unless said otherwise they return -errno on failure.
 */

/* Generous: the guest is an emulated (TCG) machine with KASAN and lockdep. */
#define RX_POLL_MS 20000

/* RxRPC abort codes as the u32 a RXRPC_ABORT cmsg carries. */
#define RX_ABORT_U32(code) ((uint32_t)(int32_t)(code))

/*
 * A UDP port for this test process. Each test runs in its own process, and
 * pids are not reused within a run, so ports do not collide between tests:
 * that matters because a service may not bind an endpoint that a closed
 * socket's dying endpoint still holds (EADDRINUSE). Kept below the
 * ephemeral range, so that auto-bound client endpoints never take them.
 */
static inline int rx_port(int k)
{
	return 10000 + (getpid() % 5000) * 4 + k;
}

static inline void rx_addr4(struct sockaddr_rxrpc *srx, const char *addr,
			    int port, int service)
{
	memset(srx, 0, sizeof(*srx));
	srx->srx_family = AF_RXRPC;
	srx->srx_service = service;
	srx->transport_type = SOCK_DGRAM;
	srx->transport_len = sizeof(srx->transport.sin);
	srx->transport.sin.sin_family = AF_INET;
	srx->transport.sin.sin_port = htons(port);
	inet_pton(AF_INET, addr, &srx->transport.sin.sin_addr);
}

static inline void rx_addr6(struct sockaddr_rxrpc *srx, const char *addr,
			    int port, int service)
{
	memset(srx, 0, sizeof(*srx));
	srx->srx_family = AF_RXRPC;
	srx->srx_service = service;
	srx->transport_type = SOCK_DGRAM;
	srx->transport_len = sizeof(srx->transport.sin6);
	srx->transport.sin6.sin6_family = AF_INET6;
	srx->transport.sin6.sin6_port = htons(port);
	inet_pton(AF_INET6, addr, &srx->transport.sin6.sin6_addr);
}

static inline int rx_errno(int ret)
{
	return ret < 0 ? -errno : ret;
}

static inline int rx_bind(int fd, const struct sockaddr_rxrpc *srx)
{
	return rx_errno(bind(fd, (const struct sockaddr *)srx, sizeof(*srx)));
}

static inline int rx_connect(int fd, const struct sockaddr_rxrpc *srx)
{
	return rx_errno(connect(fd, (const struct sockaddr *)srx, sizeof(*srx)));
}

/* A control buffer built up one message at a time. */
struct rx_cmsgs {
	union {
		char buf[1024];
		struct cmsghdr align;
	};
	size_t len;
};

static inline void rx_cm_init(struct rx_cmsgs *cm)
{
	memset(cm, 0, sizeof(*cm));
}

/* Appends a control message; len is its data length (cmsg_len - header). */
static inline void rx_cm_add(struct rx_cmsgs *cm, int level, int type,
			     const void *data, size_t len)
{
	struct cmsghdr *c = (struct cmsghdr *)(cm->buf + cm->len);

	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	if (len)
		memcpy(CMSG_DATA(c), data, len);
	cm->len += CMSG_SPACE(len);
}

static inline void rx_cm_id(struct rx_cmsgs *cm, unsigned long id)
{
	rx_cm_add(cm, SOL_RXRPC, RXRPC_USER_CALL_ID, &id, sizeof(id));
}

static inline void rx_cm_u32(struct rx_cmsgs *cm, int type, uint32_t v)
{
	rx_cm_add(cm, SOL_RXRPC, type, &v, sizeof(v));
}

static inline void rx_cm_flag(struct rx_cmsgs *cm, int type)
{
	rx_cm_add(cm, SOL_RXRPC, type, NULL, 0);
}

/* sendmsg with the given control messages; bytes sent or -errno. */
static inline int rx_sendmsg(int fd, const struct sockaddr_rxrpc *to,
			     const void *data, size_t len,
			     struct rx_cmsgs *cm, int flags)
{
	struct iovec iov = { (void *)data, len };
	struct msghdr msg = {
		.msg_name = (void *)to,
		.msg_namelen = to ? sizeof(*to) : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cm && cm->len ? cm->buf : NULL,
		.msg_controllen = cm ? cm->len : 0,
	};

	return rx_errno(sendmsg(fd, &msg, flags));
}

/* Sends data on call id (a new call if to is given and id is not in use). */
static inline int rx_send(int fd, unsigned long id,
			  const struct sockaddr_rxrpc *to,
			  const void *data, size_t len, int flags)
{
	struct rx_cmsgs cm;

	rx_cm_init(&cm);
	rx_cm_id(&cm, id);
	return rx_sendmsg(fd, to, data, len, &cm, flags);
}

/* Sends one dataless command (with a u32 argument if has_arg) on call id. */
static inline int rx_command(int fd, unsigned long id, int type,
			     int has_arg, uint32_t arg)
{
	struct rx_cmsgs cm;

	rx_cm_init(&cm);
	rx_cm_id(&cm, id);
	if (has_arg)
		rx_cm_u32(&cm, type, arg);
	else
		rx_cm_flag(&cm, type);
	return rx_sendmsg(fd, NULL, NULL, 0, &cm, 0);
}

static inline int rx_abort(int fd, unsigned long id, uint32_t code)
{
	return rx_command(fd, id, RXRPC_ABORT, 1, code);
}

static inline int rx_charge(int fd, unsigned long id)
{
	return rx_command(fd, id, RXRPC_CHARGE_ACCEPT, 0, 0);
}

/* What one recvmsg returned. */
struct rx_res {
	int len;		/* bytes of data */
	int flags;		/* msg_flags */
	int has_id;
	unsigned long id;
	int id_len;		/* length of the RXRPC_USER_CALL_ID data */
	int ack;		/* RXRPC_ACK */
	int abort;		/* RXRPC_ABORT: abort_code valid */
	uint32_t abort_code;
	int net_error;		/* RXRPC_NET_ERROR errno, 0 if none */
	int local_error;	/* RXRPC_LOCAL_ERROR errno, 0 if none */
	int busy;		/* RXRPC_BUSY */
	int new_call;		/* RXRPC_NEW_CALL */
	int other;		/* any other cmsg */
	int ncmsg;		/* number of control messages */
	struct sockaddr_rxrpc srx; /* msg_name */
	socklen_t srx_len;
};

/* Is the message terminal (the last one for its call)? */
static inline int rx_terminal(const struct rx_res *r)
{
	return r->ack || r->abort || r->net_error || r->local_error || r->busy;
}

/* How a call ended, from its terminal message, in words. */
static inline void rx_describe(const struct rx_res *r, char *out, size_t n)
{
	if (r->abort)
		snprintf(out, n, "aborted by peer/stack, code %d (0x%x)",
			 (int)r->abort_code, r->abort_code);
	else if (r->busy)
		snprintf(out, n, "busy");
	else if (r->net_error)
		snprintf(out, n, "network error %s",
			 strerror(r->net_error > 0 ? r->net_error : EIO));
	else if (r->local_error)
		snprintf(out, n, "local error %s",
			 strerror(r->local_error > 0 ? r->local_error : EIO));
	else if (r->ack)
		snprintf(out, n, "final ACK");
	else
		snprintf(out, n, "no terminal message");
}

/* recvmsg into buf; fills *r; returns bytes or -errno. */
static inline int rx_recv(int fd, void *buf, size_t len, int flags,
			  struct rx_res *r)
{
	union {
		char buf[512];
		struct cmsghdr align;
	} control;
	struct iovec iov = { buf, len };
	struct msghdr msg = {
		.msg_name = &r->srx,
		.msg_namelen = sizeof(r->srx),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c;
	int n;

	memset(r, 0, sizeof(*r));
	n = recvmsg(fd, &msg, flags);
	if (n < 0)
		return -errno;
	r->len = n;
	r->flags = msg.msg_flags;
	r->srx_len = msg.msg_namelen;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		int dlen = c->cmsg_len - CMSG_LEN(0);
		uint32_t v = 0;

		r->ncmsg++;
		if (c->cmsg_level != SOL_RXRPC) {
			r->other++;
			continue;
		}
		if (dlen >= 4)
			memcpy(&v, CMSG_DATA(c), 4);
		switch (c->cmsg_type) {
		case RXRPC_USER_CALL_ID:
			r->has_id = 1;
			r->id_len = dlen;
			if (dlen == sizeof(r->id))
				memcpy(&r->id, CMSG_DATA(c), sizeof(r->id));
			break;
		case RXRPC_ACK:
			r->ack = 1;
			break;
		case RXRPC_ABORT:
			r->abort = 1;
			r->abort_code = v;
			break;
		case RXRPC_NET_ERROR:
			r->net_error = v ? v : -1;
			break;
		case RXRPC_LOCAL_ERROR:
			r->local_error = v ? v : -1;
			break;
		case RXRPC_BUSY:
			r->busy = 1;
			break;
		case RXRPC_NEW_CALL:
			r->new_call = 1;
			break;
		default:
			r->other++;
			break;
		}
	}
	return n;
}

/* Waits (poll) until fd is readable; 1 if so, 0 on timeout. */
static inline int rx_wait(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* recvmsg after waiting for the socket to become readable. */
static inline int rx_recv_wait(int fd, void *buf, size_t len, struct rx_res *r)
{
	if (!rx_wait(fd, RX_POLL_MS)) {
		memset(r, 0, sizeof(*r));
		return -ETIMEDOUT;
	}
	return rx_recv(fd, buf, len, 0, r);
}

/*
 * Reads the rest of one call's data phase into buf (cap bytes), until a read
 * without MSG_MORE. Returns the total, or -errno, or -EPROTO if a message of
 * another call, a terminal message or too much data comes. *last gets the
 * last message read.
 */
static inline long rx_read_phase(int fd, unsigned long id, void *buf,
				 size_t cap, struct rx_res *last)
{
	size_t got = 0;

	for (;;) {
		int n = rx_recv_wait(fd, (char *)buf + got, cap - got, last);

		if (n < 0)
			return n;
		if (!last->has_id || last->id != id)
			return -EPROTO;
		got += n;
		if (!(last->flags & MSG_MORE))
			return got;
		if (got == cap)
			return -EPROTO;
	}
}

/* Brings up "lo" in the current network namespace (after unshare). */
static inline int rx_lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!ret)
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return ret;
}

/* A socket of AF_RXRPC for transport family pf (PF_INET or PF_INET6). */
static inline int rx_socket(int pf)
{
	return socket(AF_RXRPC, SOCK_DGRAM, pf);
}

/*
 * A listening service socket bound to srx, charged with ids
 * first_id .. first_id + charges - 1. Returns the fd or -errno.
 */
static inline int rx_server(const struct sockaddr_rxrpc *srx, int backlog,
			    unsigned long first_id, int charges)
{
	int fd = rx_socket(srx->transport.family == AF_INET6 ? PF_INET6 : PF_INET);
	int ret, i;

	if (fd < 0)
		return -errno;
	ret = rx_bind(fd, srx);
	if (!ret)
		ret = rx_errno(listen(fd, backlog));
	for (i = 0; !ret && i < charges; i++)
		ret = rx_charge(fd, first_id + i);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

/* The value of sysctl net.rxrpc.<name>, or def if it is not there. */
static inline int rx_sysctl_read(const char *name, int def)
{
	char path[128], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/sys/net/rxrpc/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return def;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return def;
	buf[n] = 0;
	return atoi(buf);
}

static inline int rx_sysctl_write(const char *name, int val)
{
	char path[128], buf[32];
	int fd, n, ret;

	snprintf(path, sizeof(path), "/proc/sys/net/rxrpc/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", val);
	ret = write(fd, buf, n) == n ? 0 : -errno;
	close(fd);
	return ret;
}

/* The byte at offset i of a test payload made from seed. */
static inline uint8_t rx_pat(uint32_t seed, size_t i)
{
	return (uint8_t)(seed * 13 + i * 31 + (i >> 9));
}

static inline void rx_fill(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = rx_pat(seed, i);
}

/* Offset of the first byte that differs from the pattern, or -1. */
static inline long rx_check(const void *buf, size_t len, uint32_t seed,
			    size_t off)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != rx_pat(seed, off + i))
			return off + i;
	return -1;
}

#endif
