// SPDX-License-Identifier: GPL-2.0
/*
 * patchacl IN OUT: opens a fresh volume's root directory to anonymous
 * callers. A `vos dump` of a new volume holds the root vnode's ACL as
 * system:administrators rlidwka alone; this rewrites it in the dump to also
 * give system:anyuser rlidwka, for `vos restore -overwrite full`. (The C
 * form of shared/reference/kafs/patchacl.pl: the guest has no perl.)
 *
 * The ACL is big-endian int32s: size, version, total, positive, negative,
 * then (id, rights) pairs. The old one is 7 ints (28 bytes), the new one
 * 9 (36); the ACL area in the dump is zero-padded, so the new one must fit
 * in zeros after the old one. Exactly one match, or nothing is written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(unsigned char *p, int32_t v)
{
	uint32_t u = (uint32_t)v;

	p[0] = u >> 24; p[1] = u >> 16; p[2] = u >> 8; p[3] = u;
}

int main(int argc, char **argv)
{
	static const int32_t oldv[7] = { 28, 1, 1, 1, 0, -204, 0x7f };
	static const int32_t newv[9] = { 36, 1, 2, 2, 0, -204, 0x7f, -101, 0x7f };
	unsigned char old[28], new[36], *d;
	long n, i, at = -1;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: patchacl IN OUT\n");
		return 2;
	}
	for (i = 0; i < 7; i++)
		put(old + 4 * i, oldv[i]);
	for (i = 0; i < 9; i++)
		put(new + 4 * i, newv[i]);
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(argv[1]);
		return 1;
	}
	d = malloc(n + 1);
	if (!d || fread(d, 1, n, f) != (size_t)n) {
		perror("read");
		return 1;
	}
	fclose(f);
	for (i = 0; i + (long)sizeof(old) <= n; i++) {
		if (memcmp(d + i, old, sizeof(old)))
			continue;
		if (at >= 0) {
			fprintf(stderr, "patchacl: the ACL pattern is not unique\n");
			return 1;
		}
		at = i;
	}
	if (at < 0) {
		fprintf(stderr, "patchacl: ACL pattern not found\n");
		return 1;
	}
	if (at + (long)sizeof(new) > n) {
		fprintf(stderr, "patchacl: no room\n");
		return 1;
	}
	for (i = sizeof(old); i < (long)sizeof(new); i++)
		if (d[at + i]) {
			fprintf(stderr, "patchacl: no room\n");
			return 1;
		}
	memcpy(d + at, new, sizeof(new));
	f = fopen(argv[2], "wb");
	if (!f || fwrite(d, 1, n, f) != (size_t)n || fclose(f)) {
		perror(argv[2]);
		return 1;
	}
	printf("patched ACL at offset %ld\n", at);
	return 0;
}
