/* The raw protocol-4 socket ceiling for benchmarks/throughput.sh (issue 16): how many IP-in-IP packets of a given
 * inner size one thread moves from one namespace to another with sendmmsg (IP_HDRINCL, 64 per call) and recvmmsg
 * (64 per call), with no TUN, no engine and no TCP: the bound for the ipip backend's user-space data path on this
 * machine. Build: cc -O2 -o /tmp/ipip-raw-ceiling ipip-raw-ceiling.c
 *   recv LOCAL SECONDS            prints "<inner Gbit/s> <packets/s>"
 *   send LOCAL REMOTE SECONDS INNER_BYTES */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: recv LOCAL SECONDS | send LOCAL REMOTE SECONDS INNER_BYTES\n"); return 2; }
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_IPIP);
    if (fd < 0) { perror("socket"); return 1; }
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    struct sockaddr_in local = { .sin_family = AF_INET };
    inet_pton(AF_INET, argv[2], &local.sin_addr);
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) { perror("bind"); return 1; }
    static unsigned char buffers[BATCH][2048];
    struct mmsghdr msgs[BATCH]; struct iovec iovs[BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) { iovs[i].iov_base = buffers[i]; iovs[i].iov_len = sizeof buffers[i]; msgs[i].msg_hdr.msg_iov = &iovs[i]; msgs[i].msg_hdr.msg_iovlen = 1; }
    if (strcmp(argv[1], "recv") == 0) {
        double seconds = atof(argv[3]), start = 0, end = 0; long bytes = 0, packets = 0;
        struct timeval tv = { .tv_sec = 1 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        for (;;) {
            int n = recvmmsg(fd, msgs, BATCH, 0, NULL);
            if (n <= 0) { if (start > 0) break; continue; }
            if (start == 0) start = now();
            for (int i = 0; i < n; i++) { bytes += msgs[i].msg_len - 20; packets++; }
            end = now();
            if (end - start > seconds) break;
        }
        double span = end - start;
        printf("%.2f %.0f\n", span > 0 ? bytes * 8 / span / 1e9 : 0, span > 0 ? packets / span : 0);
        return 0;
    }
    if (argc < 6) return 2;
    int one = 1; setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one);
    struct sockaddr_in remote = { .sin_family = AF_INET };
    inet_pton(AF_INET, argv[3], &remote.sin_addr);
    double seconds = atof(argv[4]); int inner = atoi(argv[5]);
    for (int i = 0; i < BATCH; i++) {
        unsigned char *p = buffers[i];
        memset(p, 0, 20 + inner);
        p[0] = 0x45; p[2] = (20 + inner) >> 8; p[3] = (20 + inner) & 0xff; p[8] = 64; p[9] = 4;
        memcpy(p + 12, &local.sin_addr, 4); memcpy(p + 16, &remote.sin_addr, 4);
        unsigned char *q = p + 20;   /* inner IPv4/UDP, 198.19.1.1 -> 198.19.2.1 */
        q[0] = 0x45; q[2] = inner >> 8; q[3] = inner & 0xff; q[8] = 64; q[9] = 17;
        q[12] = 198; q[13] = 19; q[14] = 1; q[15] = 1; q[16] = 198; q[17] = 19; q[18] = 2; q[19] = 1;
        iovs[i].iov_len = 20 + inner;
        msgs[i].msg_hdr.msg_name = &remote; msgs[i].msg_hdr.msg_namelen = sizeof remote;
    }
    double start = now(); long sent = 0;
    while (now() - start < seconds) { int n = sendmmsg(fd, msgs, BATCH, 0); if (n > 0) sent += n; }
    fprintf(stderr, "sent %ld packets\n", sent);
    return 0;
}
