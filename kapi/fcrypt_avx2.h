/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fcrypt on AVX2 (fcrypt_avx2.c): floating-point code, called by glue.c
 * only between kernel_fpu_begin() and kernel_fpu_end().
 */
#ifndef KAPI_FCRYPT_AVX2_H
#define KAPI_FCRYPT_AVX2_H

#include <linux/types.h>

void kapi_fcrypt_avx2_decrypt(const u32 *sched, const u32 (*tables)[256],
			      const u8 *in, u8 *out, size_t blocks);
void kapi_fcrypt_avx2_encrypt_lanes(const u32 *sched, const u32 (*tables)[256],
				    u32 *chain, u8 *const *data, unsigned int lanes,
				    size_t first, size_t blocks);

#endif
