/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small DES (FIPS 46-3) and DES-PCBC for the rxkad tests: enough to seal
 * the Kerberos 4 style tickets that a server decrypts with its "rxrpc_s"
 * key (pcbc(des), the key as IV), and to open one again. Written for
 * clarity, one bit at a time from the standard's tables: slow, and only
 * ever used on a ticket of a few dozen bytes.
 *
 * Also used by scripts/interop/rxrpc_xfer.c and scripts/openafs/afs_rpc.c.
 */
#ifndef RXRPC_DES_H
#define RXRPC_DES_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

static const uint8_t des_ip[64] = {
	58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
};

static const uint8_t des_fp[64] = {
	40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
	38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
	36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
	34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25,
};

static const uint8_t des_e[48] = {
	32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9,
	8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
	16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25,
	24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
};

static const uint8_t des_p[32] = {
	16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
	2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
};

static const uint8_t des_pc1[56] = {
	57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
	63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
};

static const uint8_t des_pc2[48] = {
	14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
	41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
};

static const uint8_t des_shifts[16] = {
	1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1,
};

static const uint8_t des_sbox[8][64] = {
	{ 14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
	  0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
	  4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
	  15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13 },
	{ 15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
	  3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
	  0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
	  13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9 },
	{ 10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
	  13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
	  13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
	  1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12 },
	{ 7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
	  13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
	  10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
	  3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14 },
	{ 2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
	  14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
	  4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
	  11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3 },
	{ 12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
	  10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
	  9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
	  4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13 },
	{ 4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
	  13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
	  1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
	  6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12 },
	{ 13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
	  1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
	  7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
	  2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11 },
};

/*
 * Picks bits: bit i (from 1, most significant first) of the n-bit result
 * is bit table[i] of the w-bit input.
 */
static inline uint64_t des_permute(uint64_t in, int w, const uint8_t *table, int n)
{
	uint64_t out = 0;
	int i;

	for (i = 0; i < n; i++)
		out = (out << 1) | ((in >> (w - table[i])) & 1);
	return out;
}

/* The 16 48-bit round keys of an 8-byte key (parity bits ignored). */
static inline void des_schedule(const uint8_t key[8], uint64_t sub[16])
{
	uint64_t k = 0, cd;
	uint32_t c, d;
	int i;

	for (i = 0; i < 8; i++)
		k = (k << 8) | key[i];
	cd = des_permute(k, 64, des_pc1, 56);
	c = cd >> 28;
	d = cd & 0xfffffff;
	for (i = 0; i < 16; i++) {
		int s = des_shifts[i];

		c = ((c << s) | (c >> (28 - s))) & 0xfffffff;
		d = ((d << s) | (d >> (28 - s))) & 0xfffffff;
		sub[i] = des_permute(((uint64_t)c << 28) | d, 56, des_pc2, 48);
	}
}

static inline uint32_t des_f(uint32_t r, uint64_t k)
{
	uint64_t x = des_permute(r, 32, des_e, 48) ^ k;
	uint32_t out = 0;
	int i;

	for (i = 0; i < 8; i++) {
		int six = (x >> (42 - 6 * i)) & 0x3f;
		int row = ((six >> 4) & 2) | (six & 1), col = (six >> 1) & 0xf;

		out = (out << 4) | des_sbox[i][row * 16 + col];
	}
	return des_permute(out, 32, des_p, 32);
}

/* One block, in place; decrypt runs the round keys backwards. */
static inline void des_block(const uint64_t sub[16], uint8_t blk[8], int decrypt)
{
	uint64_t v = 0;
	uint32_t l, r, t;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | blk[i];
	v = des_permute(v, 64, des_ip, 64);
	l = v >> 32;
	r = v;
	for (i = 0; i < 16; i++) {
		t = r;
		r = l ^ des_f(r, sub[decrypt ? 15 - i : i]);
		l = t;
	}
	v = des_permute(((uint64_t)r << 32) | l, 64, des_fp, 64);
	for (i = 7; i >= 0; i--, v >>= 8)
		blk[i] = v;
}

/*
 * DES-PCBC over len bytes (a multiple of 8) in place, as the kernel's
 * pcbc(des) and OpenAFS's pcbc_encrypt: C[i] = E(P[i] ^ V), V = P[i] ^ C[i],
 * starting from V = iv.
 */
static inline void des_pcbc(const uint8_t key[8], const uint8_t iv[8],
			    uint8_t *buf, size_t len, int decrypt)
{
	uint64_t sub[16];
	uint8_t v[8], in[8];
	size_t off;
	int i;

	des_schedule(key, sub);
	memcpy(v, iv, 8);
	for (off = 0; off + 8 <= len; off += 8) {
		uint8_t *b = buf + off;

		memcpy(in, b, 8);
		if (!decrypt) {
			for (i = 0; i < 8; i++)
				b[i] ^= v[i];
			des_block(sub, b, 0);
		} else {
			des_block(sub, b, 1);
			for (i = 0; i < 8; i++)
				b[i] ^= v[i];
		}
		for (i = 0; i < 8; i++)
			v[i] = in[i] ^ b[i];
	}
}

/* Sets odd parity in each byte, as DES keys conventionally have. */
static inline void des_fix_parity(uint8_t key[8])
{
	int i;

	for (i = 0; i < 8; i++) {
		uint8_t b = key[i] & 0xfe;

		key[i] = b | !(__builtin_popcount(b) & 1);
	}
}

/* The FIPS 46 worked example; 0 if this DES gives the known answer. */
static inline int des_self_test(void)
{
	static const uint8_t key[8] = { 0x13, 0x34, 0x57, 0x79, 0x9b, 0xbc, 0xdf, 0xf1 };
	static const uint8_t ct[8] = { 0x85, 0xe8, 0x13, 0x54, 0x0f, 0x0a, 0xb4, 0x05 };
	uint8_t blk[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	uint64_t sub[16];

	des_schedule(key, sub);
	des_block(sub, blk, 0);
	if (memcmp(blk, ct, 8))
		return -1;
	des_block(sub, blk, 1);
	return blk[0] == 0x01 && blk[7] == 0xef ? 0 : -1;
}

#endif
