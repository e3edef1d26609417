/*
 * vfio-user-rtt: REGION_READ round trips per second against any vfio-user server, the same
 * small client for every server measured (docs/performance.md).
 *
 *   cc -O2 -o vfio-user-rtt vfio-user-rtt.c
 *   vfio-user-rtt SOCKET REGION OFFSET COUNT SECONDS
 *
 * Connects, negotiates VERSION 0.2 (max_msg_fds 16), then sends REGION_READ of COUNT bytes at
 * OFFSET of REGION, one at a time, each waiting for its reply, for SECONDS; prints the rate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct header {            /* the protocol's message header, little-endian on x86 */
    uint16_t id;
    uint16_t command;
    uint32_t size;         /* header included */
    uint32_t flags;        /* 0: command, 1: reply; 0x20: error */
    uint32_t error;
} __attribute__((packed));

struct region_access {
    uint64_t offset;
    uint32_t region;
    uint32_t count;
} __attribute__((packed));

enum { VERSION = 1, REGION_READ = 9, REPLY = 1, ERROR = 0x20 };

static void all(int fd, void *buf, size_t n, int reading)
{
    char *p = buf;
    while (n > 0) {
        ssize_t done = reading ? read(fd, p, n) : write(fd, p, n);
        if (done <= 0) {
            perror(reading ? "read" : "write");
            exit(1);
        }
        p += done;
        n -= (size_t)done;
    }
}

/* Reads one reply into buf (at most cap bytes of payload); exits on an error reply. */
static void reply(int fd, uint16_t id, char *buf, size_t cap)
{
    struct header h;
    all(fd, &h, sizeof(h), 1);
    size_t payload = h.size - sizeof(h);
    if (h.id != id || !(h.flags & REPLY) || payload > cap) {
        fprintf(stderr, "unexpected reply: id %u command %u size %u flags 0x%x\n", h.id, h.command, h.size, h.flags);
        exit(1);
    }
    all(fd, buf, payload, 1);
    if (h.flags & ERROR) {
        fprintf(stderr, "command %u failed: errno %u\n", h.command, h.error);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s SOCKET REGION OFFSET COUNT SECONDS\n", argv[0]);
        return 2;
    }
    uint32_t region = (uint32_t)strtoul(argv[2], NULL, 0);
    uint64_t offset = strtoull(argv[3], NULL, 0);
    uint32_t count = (uint32_t)strtoul(argv[4], NULL, 0);
    double seconds = atof(argv[5]);

    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    strncpy(addr.sun_path, argv[1], sizeof(addr.sun_path) - 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        perror("connect");
        return 1;
    }

    static const char caps[] = "{\"capabilities\":{\"max_msg_fds\":16}}";
    char msg[sizeof(struct header) + 4 + sizeof(caps)];
    struct header *h = (struct header *)msg;
    *h = (struct header){ .id = 0, .command = VERSION, .size = sizeof(msg) };
    uint16_t version[2] = { 0, 2 };
    memcpy(msg + sizeof(*h), version, sizeof(version));
    memcpy(msg + sizeof(*h) + 4, caps, sizeof(caps));
    all(fd, msg, sizeof(msg), 0);
    static char buf[1 << 20];
    reply(fd, 0, buf, sizeof(buf));

    struct {
        struct header h;
        struct region_access a;
    } __attribute__((packed)) read_cmd = {
        .h = { .command = REGION_READ, .size = sizeof(read_cmd) },
        .a = { .offset = offset, .region = region, .count = count },
    };
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long trips = 0;
    double elapsed = 0;
    uint16_t id = 1;
    do {
        for (int i = 0; i < 256; i++, id++) {
            read_cmd.h.id = id;
            all(fd, &read_cmd, sizeof(read_cmd), 0);
            reply(fd, id, buf, sizeof(buf));
        }
        trips += 256;
        clock_gettime(CLOCK_MONOTONIC, &now);
        elapsed = (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
    } while (elapsed < seconds);
    printf("%ld round trips in %.2f s: %.0f/s\n", trips, elapsed, trips / elapsed);
    close(fd);
    return 0;
}
