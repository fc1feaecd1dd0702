// SPDX-License-Identifier: GPL-2.0
/*
 * /sbin/request-key for the kAFS guests: the kernel's key upcall,
 * answering kAFS's cell lookups (dns_resolver keys "afsdb:<cell>") from
 * /etc/kafs-cells ("<cell> <IPv4 address>" lines) instead of the DNS.
 * 6.12's kAFS looks a cell's VL servers up this way on every mount, even
 * for a cell added with addresses, and a mount fails with EDESTADDRREQ
 * without an answer; kafs-client's kafs-dns is the usual helper. The
 * answer is the binary server list of <linux/dns_resolver.h> (what
 * kafs-dns gives): one server, source "config", status "good", UDP. Any
 * other key is negated for a minute.
 *
 *   request-key create KEY UID GID THREAD_KR PROCESS_KR SESSION_KR
 *
 * Each answer is logged to /dev/kmsg ("kafs request-key: ...").
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEYCTL_DESCRIBE			6
#define KEYCTL_INSTANTIATE		12
#define KEYCTL_NEGATE			13
#define KEYCTL_ASSUME_AUTHORITY		16

static void say(const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	FILE *k;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	k = fopen("/dev/kmsg", "w");
	if (k) {
		fprintf(k, "kafs request-key: %.*s\n", n, buf);
		fclose(k);
	}
}

static long keyctl(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
	return syscall(SYS_keyctl, op, a, b, c, d);
}

/* The address of CELL in /etc/kafs-cells, or 0. */
static int cell_addr(const char *cell, struct in_addr *addr)
{
	char line[300], name[256], ip[64];
	FILE *f = fopen("/etc/kafs-cells", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %63s", name, ip) == 2 && !strcasecmp(name, cell) &&
		    inet_pton(AF_INET, ip, addr) == 1)
			found = 1;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	static const char host[] = "afsdb";
	unsigned char p[64], *b = p;
	char desc[512], *type, *what;
	struct in_addr addr;
	long key;
	int i;

	if (argc < 3 || strcmp(argv[1], "create")) {
		say("unexpected call: %s", argc > 1 ? argv[1] : "(none)");
		return 1;
	}
	key = strtol(argv[2], NULL, 10);
	if (keyctl(KEYCTL_ASSUME_AUTHORITY, key, 0, 0, 0) < 0) {
		say("key %ld: cannot assume authority: %m", key);
		return 1;
	}
	if (keyctl(KEYCTL_DESCRIBE, key, (unsigned long)desc, sizeof(desc) - 1, 0) < 0) {
		say("key %ld: cannot describe: %m", key);
		return 1;
	}
	desc[sizeof(desc) - 1] = 0;
	/* type;uid;gid;perm;description */
	type = desc;
	what = desc;
	for (i = 0; i < 4 && what; i++) {
		what = strchr(what, ';');
		if (what)
			*what++ = 0;
	}
	if (!what || strcmp(type, "dns_resolver") || strncmp(what, "afsdb:", 6) ||
	    !cell_addr(what + 6, &addr)) {
		say("key %ld (%s %s): no answer, negated", key, type, what ? what : "?");
		keyctl(KEYCTL_NEGATE, key, 60, 0, 0);
		return 0;
	}
	/* struct dns_server_list_v1_header */
	*b++ = 0;		/* not text */
	*b++ = 0;		/* DNS_PAYLOAD_IS_SERVER_LIST */
	*b++ = 1;		/* version */
	*b++ = 1;		/* DNS_RECORD_FROM_CONFIG */
	*b++ = 1;		/* DNS_LOOKUP_GOOD */
	*b++ = 1;		/* one server */
	/* struct dns_server_list_v1_server, little-endian u16s */
	*b++ = sizeof(host) - 1; *b++ = 0;	/* name_len */
	*b++ = 0; *b++ = 0;			/* priority */
	*b++ = 0; *b++ = 0;			/* weight */
	*b++ = 0; *b++ = 0;			/* port: the VL default, 7003 */
	*b++ = 1;		/* DNS_RECORD_FROM_CONFIG */
	*b++ = 1;		/* DNS_LOOKUP_GOOD */
	*b++ = 1;		/* DNS_SERVER_PROTOCOL_UDP */
	*b++ = 1;		/* one address */
	memcpy(b, host, sizeof(host) - 1);
	b += sizeof(host) - 1;
	*b++ = 0;		/* DNS_ADDRESS_IS_IPV4 */
	memcpy(b, &addr, 4);
	b += 4;
	if (keyctl(KEYCTL_INSTANTIATE, key, (unsigned long)p, b - p, 0) < 0) {
		say("key %ld (%s): cannot instantiate: %m", key, what);
		return 1;
	}
	say("key %ld: %s -> %s (VL server, from /etc/kafs-cells)", key, what, inet_ntoa(addr));
	return 0;
}
