// SPDX-License-Identifier: GPL-2.0
/*
 * fcrypt, rxkad's cipher, eight blocks at a time on AVX2: a round's four
 * S-box lookups are four gathers, one lane a block. Decryption takes eight
 * blocks of one buffer (PCBC decryption is ECB then a chaining pass);
 * PCBC encryption chains each block to the one before, so it takes one
 * block from each of up to eight buffers, one a lane.
 *
 * The round keys and tables are the caller's, as proto/rxkad/fcrypt.rs
 * holds them: halves read as little-endian words, table entries
 * byte-swapped to match, so the byte of a half that indexes table i is
 * byte i of the word.
 *
 * Floating-point code (see Documentation/core-api/floating-point.rst):
 * glue.c calls it between kernel_fpu_begin() and kernel_fpu_end().
 */
#include "fcrypt_avx2.h"

typedef u32 v8u __attribute__((vector_size(32)));
typedef long long v4q __attribute__((vector_size(32)));
/* Eight words anywhere in memory. */
typedef u32 v8u_any __attribute__((vector_size(32))) __aligned(1);

/*
 * The gathers are written out so that no index is in ymm4 (clobbered):
 * QEMU 7.2 (TCG) reads a VSIB index of 4 as no index, as a plain SIB
 * index of 4 is, and every lane then loads the base.
 */

/* Entry i[n] of table t, for each lane n. */
static __always_inline v8u lookup(const u32 *t, v8u i)
{
	v8u r, m;

	asm("vpcmpeqd %[m], %[m], %[m]\n\t"
	    "vpgatherdd %[m], (%[tab], %[idx], 4), %[r]"
	    : [r] "=&x" (r), [m] "=&x" (m)
	    : [tab] "r" (t), [idx] "x" (i)
	    : "xmm4", "memory");
	return r;
}

/* The 64-bit words at base + off[n], for each lane n. */
static __always_inline v4q gather_q(const void *base, v4q off)
{
	v4q r, m;

	asm("vpcmpeqd %[m], %[m], %[m]\n\t"
	    "vpgatherqq %[m], (%[base], %[off], 1), %[r]"
	    : [r] "=&x" (r), [m] "=&x" (m)
	    : [base] "r" (base), [off] "x" (off)
	    : "xmm4", "memory");
	return r;
}

/* The round function of round key k over eight halves. */
static __always_inline v8u f(const u32 (*t)[256], u32 k, v8u x)
{
	v8u u = x ^ k;

	return lookup(t[0], u & 0xff) ^ lookup(t[1], (u >> 8) & 0xff) ^
	       lookup(t[2], (u >> 16) & 0xff) ^ lookup(t[3], u >> 24);
}

static __always_inline void enc(const u32 *k, const u32 (*t)[256], v8u *l, v8u *r)
{
#pragma clang loop unroll(full)
	for (int i = 0; i < 16; i += 2) {
		*l ^= f(t, k[i], *r);
		*r ^= f(t, k[i + 1], *l);
	}
}

static __always_inline void dec(const u32 *k, const u32 (*t)[256], v8u *l, v8u *r)
{
#pragma clang loop unroll(full)
	for (int i = 14; i >= 0; i -= 2) {
		*r ^= f(t, k[i + 1], *l);
		*l ^= f(t, k[i], *r);
	}
}

/* Eight words of (l, r) pairs, one a block, as halves. */
static __always_inline void split(v8u a, v8u b, v8u *l, v8u *r)
{
	*l = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
	*r = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
}

static __always_inline void join(v8u l, v8u r, v8u *a, v8u *b)
{
	*a = __builtin_shufflevector(l, r, 0, 8, 1, 9, 2, 10, 3, 11);
	*b = __builtin_shufflevector(l, r, 4, 12, 5, 13, 6, 14, 7, 15);
}

static __always_inline void decrypt8(const u32 *k, const u32 (*t)[256],
				     const u8 *in, u8 *out)
{
	v8u l, r, a, b;

	split(*(const v8u_any *)in, *(const v8u_any *)(in + 32), &l, &r);
	dec(k, t, &l, &r);
	join(l, r, &a, &b);
	*(v8u_any *)out = a;
	*(v8u_any *)(out + 32) = b;
}

/* ECB-decrypt blocks of in into out (which may be in). */
void kapi_fcrypt_avx2_decrypt(const u32 *sched, const u32 (*tables)[256],
			      const u8 *in, u8 *out, size_t blocks)
{
	u8 tail[64] = {};

	for (; blocks >= 8; blocks -= 8, in += 64, out += 64)
		decrypt8(sched, tables, in, out);
	if (!blocks)
		return;
	__builtin_memcpy(tail, in, blocks * 8);
	decrypt8(sched, tables, tail, tail);
	__builtin_memcpy(out, tail, blocks * 8);
}

/*
 * PCBC-encrypt in place blocks first.. of each of data[0..lanes] (1 to 8
 * buffers) from the chaining values in chain (the lanes' left halves,
 * then their right), which it leaves for the blocks after. The lanes past
 * the last read its blocks and store nothing.
 */
void kapi_fcrypt_avx2_encrypt_lanes(const u32 *sched, const u32 (*tables)[256],
				    u32 *chain, u8 *const *data, unsigned int lanes,
				    size_t first, size_t blocks)
{
	const u8 *base = data[0] + 8 * first;
	long long off[8] = {};
	v4q lo, hi;
	v8u vl = *(v8u_any *)chain, vr = *(v8u_any *)(chain + 8);

	for (unsigned int j = 1; j < lanes; j++)
		off[j] = data[j] - data[0];
	lo = (v4q){ off[0], off[1], off[2], off[3] };
	hi = (v4q){ off[4], off[5], off[6], off[7] };
	for (size_t i = first; i < first + blocks; i++) {
		v8u pl, pr, l, r, a, b;
		u64 c[8];

		/* Block i of each buffer, by its address. */
		split((v8u)gather_q(base, lo), (v8u)gather_q(base, hi), &pl, &pr);
		l = pl ^ vl;
		r = pr ^ vr;
		enc(sched, tables, &l, &r);
		vl = pl ^ l;
		vr = pr ^ r;
		join(l, r, &a, &b);
		*(v8u_any *)c = a;
		*(v8u_any *)(c + 4) = b;
		for (unsigned int j = 0; j < lanes; j++)
			__builtin_memcpy(data[j] + 8 * i, &c[j], 8);
		lo += 8;
		hi += 8;
	}
	*(v8u_any *)chain = vl;
	*(v8u_any *)(chain + 8) = vr;
}
