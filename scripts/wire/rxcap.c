// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny packet capture for the wire test's guest, which has no tcpdump:
 * writes the UDP packets seen on "lo" to a pcap file (Ethernet link type,
 * each packet cut to SNAPLEN bytes: the IP, UDP and Rx headers and a little
 * payload), until SIGTERM/SIGINT or LIMIT_S seconds.
 *
 *   rxcap FILE [SNAPLEN] [LIMIT_S]
 *
 * Loopback shows every packet twice (out and in): only the incoming copy
 * is kept. Prints how many packets it kept and how many the kernel dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned int snap = argc > 2 ? atoi(argv[2]) : 128;
	struct { uint32_t magic; uint16_t major, minor; int32_t zone;
		 uint32_t sigfigs, snaplen, linktype; } fh = {
		0xa1b2c3d4, 2, 4, 0, 0, snap, 1 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct tpacket_stats st;
	socklen_t stlen = sizeof(st);
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned char buf[65600];
	unsigned long kept = 0;
	int rcvbuf = 8 << 20;
	FILE *f;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: rxcap FILE [SNAPLEN] [LIMIT_S]\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);	/* no SA_RESTART: recvfrom returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	alarm(argc > 3 ? atoi(argv[3]) : 300);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("rxcap: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	sll.sll_ifindex = if_nametoindex("lo");
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("rxcap: bind");
		return 1;
	}
	f = fopen(argv[1], "w");
	if (!f) {
		perror("rxcap: fopen");
		return 1;
	}
	fwrite(&fh, sizeof(fh), 1, f);
	fflush(f);
	printf("rxcap: capturing\n");
	fflush(stdout);
	while (!stop) {
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		struct timespec ts;
		struct { uint32_t sec, usec, caplen, len; } ph;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("rxcap: recvfrom");
			break;
		}
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		/* IPv4 (ethertype 0x0800) carrying UDP (protocol 17) only. */
		if (n < 34 || buf[12] != 0x08 || buf[13] != 0x00 || buf[23] != 17)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ph.sec = ts.tv_sec;
		ph.usec = ts.tv_nsec / 1000;
		ph.len = n;
		ph.caplen = (unsigned int)n < snap ? (unsigned int)n : snap;
		fwrite(&ph, sizeof(ph), 1, f);
		fwrite(buf, ph.caplen, 1, f);
		kept++;
	}
	fclose(f);
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen) == 0)
		printf("rxcap: %lu packets kept, %u dropped by the kernel\n", kept, st.tp_drops);
	else
		printf("rxcap: %lu packets kept\n", kept);
	return 0;
}
