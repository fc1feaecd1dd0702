/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rxkad keys and tickets for tests, made by hand: a server keyring holding
 * an "rxrpc_s" key "<service>:2" (an 8-byte DES key), and a client "rxrpc"
 * key (the v1 payload) wrapping a ticket that the test seals itself with
 * that DES key, as a Kerberos 4 server would. The ticket plaintext is what
 * the C server parses (net/rxrpc/rxkad.c, rxkad_decrypt_ticket) and what
 * OpenAFS decodes (decode_athena_ticket): flags, name, instance, realm,
 * the requester's IPv4 address, the session key, the life in 5-minute
 * units, the issue time, the service name and instance; zero padded to a
 * multiple of 8 and sealed with DES-PCBC, the server key as key and IV.
 *
 * Used by rxrpc_rxkad.c, scripts/interop/rxrpc_xfer.c and
 * scripts/openafs/afs_rpc.c.
 */
#ifndef RXRPC_TICKET_H
#define RXRPC_TICKET_H

#include "rxrpc_test.h"
#include "rxrpc_des.h"
#include <sys/random.h>
#include <time.h>

#define RXKAD_SECURITY_INDEX 2
#define RXKAD_TICKET_MAX 344	/* room for the longest names below */

/* The ticket's contents (strings of at most 39 characters). */
struct rxkad_ticket {
	const char *name, *inst, *realm;
	uint8_t addr[4];	/* the requester's IPv4 address; 0 if none */
	uint8_t session[8];	/* the session key */
	uint8_t life;		/* in 5-minute units (<= 128 for OpenAFS) */
	uint32_t issue;		/* seconds since 1970 */
	const char *sname, *sinst;
	int little_endian;	/* flags bit 0: the issue time is little-endian */
};

static inline size_t rxkad_put_str(uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s) + 1;

	memcpy(p + n, s, l);
	return n + l;
}

/*
 * Writes the ticket sealed with key into out (RXKAD_TICKET_MAX bytes);
 * returns its length, a multiple of 8.
 */
static inline size_t rxkad_seal_ticket(uint8_t *out, const struct rxkad_ticket *t,
				       const uint8_t key[8])
{
	uint32_t issue = t->issue;
	size_t n = 0;

	memset(out, 0, RXKAD_TICKET_MAX);
	out[n++] = t->little_endian ? 1 : 0;
	n = rxkad_put_str(out, n, t->name);
	n = rxkad_put_str(out, n, t->inst);
	n = rxkad_put_str(out, n, t->realm);
	memcpy(out + n, t->addr, 4); n += 4;
	memcpy(out + n, t->session, 8); n += 8;
	out[n++] = t->life;
	if (t->little_endian) {
		out[n++] = issue; out[n++] = issue >> 8;
		out[n++] = issue >> 16; out[n++] = issue >> 24;
	} else {
		out[n++] = issue >> 24; out[n++] = issue >> 16;
		out[n++] = issue >> 8; out[n++] = issue;
	}
	n = rxkad_put_str(out, n, t->sname);
	n = rxkad_put_str(out, n, t->sinst);
	n = (n + 7) & ~(size_t)7;
	des_pcbc(key, key, out, n, 0);
	return n;
}

/*
 * Would the C server get past the ticket's name fields if it opened it
 * with key? (Its check: each of name, instance and realm ends in a NUL
 * within 40 bytes, all printable before it.) A ticket sealed with another
 * key almost never does; a test that needs "never" picks its wrong key
 * with this.
 */
static inline int rxkad_ticket_opens(const uint8_t *tkt, size_t len, const uint8_t key[8])
{
	uint8_t buf[RXKAD_TICKET_MAX];
	size_t p = 1;
	int f;

	if (len > sizeof(buf))
		return 0;
	memcpy(buf, tkt, len);
	des_pcbc(key, key, buf, len, 1);
	for (f = 0; f < 3; f++) {
		size_t start = p;

		while (p < len && buf[p] && buf[p] >= 0x20 && buf[p] < 0x7f)
			p++;
		if (p >= len || buf[p] || p - start > 40)
			return 0;
		p++;
	}
	return 1;
}

/*
 * The v1 payload of an "rxrpc" key (net/rxrpc/key.c): u32 version 1, then
 * struct rxrpc_key_data_v1 {u16 security_index, u16 ticket_length,
 * u32 expiry, u32 kvno, u8 session_key[8], ticket}, in host order.
 */
static inline size_t rxkad_v1_payload(uint8_t *out, const uint8_t session[8],
				      uint32_t kvno, uint32_t expiry,
				      const uint8_t *tkt, size_t tkt_len)
{
	uint32_t kver = 1;
	uint16_t ix = RXKAD_SECURITY_INDEX, tl = tkt_len;
	size_t n = 0;

	memcpy(out + n, &kver, 4); n += 4;
	memcpy(out + n, &ix, 2); n += 2;
	memcpy(out + n, &tl, 2); n += 2;
	memcpy(out + n, &expiry, 4); n += 4;
	memcpy(out + n, &kvno, 4); n += 4;
	memcpy(out + n, session, 8); n += 8;
	memcpy(out + n, tkt, tkt_len); n += tkt_len;
	return n;
}

/* A random DES key (odd parity). */
static inline void rxkad_random_key(uint8_t key[8])
{
	if (getrandom(key, 8, 0) != 8) {
		uint64_t x = (uint64_t)time(NULL) * 6364136223846793005ull ^ getpid();

		memcpy(key, &x, 8);
	}
	des_fix_parity(key);
}

/*
 * A keyring named ring_name in the process keyring, holding an "rxrpc_s"
 * key "<service>:2" with the DES key (none if key is NULL). Returns the
 * keyring's serial or -errno.
 */
static inline key_serial_t rxkad_server_ring(const char *ring_name, int service,
					     const uint8_t key[8])
{
	key_serial_t ring = add_key("keyring", ring_name, NULL, 0,
				    KEY_SPEC_PROCESS_KEYRING);
	char desc[32];

	if (ring < 0)
		return -errno;
	if (key) {
		snprintf(desc, sizeof(desc), "%d:%d", service, RXKAD_SECURITY_INDEX);
		if (add_key("rxrpc_s", desc, key, 8, ring) < 0)
			return -errno;
	}
	return ring;
}

/*
 * A client "rxrpc" key desc in the process keyring whose ticket, sealed
 * with server_key, was issued issue_ago seconds ago for life 5-minute
 * units, for principal name@realm. The key itself expires at expiry
 * (0: when the ticket does). Returns the key or -errno.
 */
static inline key_serial_t rxkad_client_key(const char *desc, const uint8_t server_key[8],
					    const char *name, const char *realm,
					    long issue_ago, uint8_t life, uint32_t kvno,
					    uint32_t expiry)
{
	struct rxkad_ticket t = {
		.name = name, .inst = "", .realm = realm,
		.life = life, .sname = "afs", .sinst = "",
	};
	uint8_t tkt[RXKAD_TICKET_MAX], payload[RXKAD_TICKET_MAX + 64];
	size_t tlen, plen;
	key_serial_t key;

	t.issue = time(NULL) - issue_ago;
	rxkad_random_key(t.session);
	tlen = rxkad_seal_ticket(tkt, &t, server_key);
	plen = rxkad_v1_payload(payload, t.session, kvno,
				expiry ? expiry : t.issue + life * 300,
				tkt, tlen);
	key = add_key("rxrpc", desc, payload, plen, KEY_SPEC_PROCESS_KEYRING);
	return key < 0 ? -errno : key;
}

static inline int rxkad_hexkey(const char *hex, uint8_t key[8])
{
	int i;

	if (strlen(hex) != 16)
		return -1;
	for (i = 0; i < 8; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &key[i]) != 1)
			return -1;
	return 0;
}

#endif
