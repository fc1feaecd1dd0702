/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the AF_RXRPC kselftests. */
#ifndef RXRPC_TEST_H
#define RXRPC_TEST_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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

#endif
