/* SPDX-License-Identifier: MIT */
/*
 * The wire formats this module speaks, written from the vhost-user protocol
 * specification (QEMU docs/interop/vhost-user.rst) and the virtio 1.x
 * specification (split virtqueues, 2.7; block device, 5.2).  Only the
 * subset the front end and the built-in back end use is named here.
 *
 * vhost-user numbers are in the machine's byte order; virtio structures
 * (rings, the block request header, the config space) are little-endian.
 */
#ifndef SWIOTLB_VHOST_PROTO_H
#define SWIOTLB_VHOST_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <endian.h>

/* vhost-user requests, front end -> back end */
enum {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_GET_CONFIG = 24,
	VU_SET_CONFIG = 25,
};

/* header flags */
#define VU_VERSION 0x1u
#define VU_VERSION_MASK 0x3u
#define VU_FLAG_REPLY (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)

/* feature bits */
#define VU_F_PROTOCOL_FEATURES 30
#define VU_PROTOCOL_F_MQ 0
#define VU_PROTOCOL_F_REPLY_ACK 3
#define VU_PROTOCOL_F_CONFIG 9
#define VU_VRING_NOFD (1u << 8) /* in the u64 of SET_VRING_KICK/CALL/ERR */

#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_MQ 12

#define VU_MAX_REGIONS 8
#define VU_MAX_CONFIG 256

struct vu_region {
	uint64_t gpa;         /* guest physical address */
	uint64_t size;
	uint64_t uaddr;       /* front end's virtual address */
	uint64_t mmap_offset; /* offset of the region in the fd */
};

struct vu_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vu_region regions[VU_MAX_REGIONS];
};

struct vu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;  /* front-end user addresses */
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vu_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[VU_MAX_CONFIG];
};

struct vu_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes */
	union {
		uint64_t u64;
		struct vu_vring_state state;
		struct vu_vring_addr addr;
		struct vu_memory memory;
		struct vu_config config;
		uint8_t raw[VU_MAX_CONFIG + 12];
	} payload;
};

/* On the wire the payload follows the 12-byte header directly; in memory
 * it is 8-byte aligned (vu_send / vu_recv convert). */
#define VU_HDR_SIZE 12u

/* ------------------------------------------------------------ virtio */

/* split virtqueue (2.7) */
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

struct vring_desc {
	uint64_t addr;  /* le: guest physical */
	uint32_t len;   /* le */
	uint16_t flags; /* le */
	uint16_t next;  /* le */
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];
};

/* byte sizes of the three parts for `num` entries (no event idx) */
static inline size_t vring_desc_bytes(unsigned num) { return 16u * num; }
static inline size_t vring_avail_bytes(unsigned num) { return 4u + 2u * num + 2u; }
static inline size_t vring_used_bytes(unsigned num) { return 4u + 8u * num + 2u; }

/* virtio-blk (5.2.6): header, then data, then one status byte */
struct virtio_blk_outhdr {
	uint32_t type;     /* le */
	uint32_t reserved; /* le */
	uint64_t sector;   /* le */
};

/* config space offsets (5.2.4) */
#define VBLK_CFG_CAPACITY 0
#define VBLK_CFG_SIZE_MAX 8
#define VBLK_CFG_SEG_MAX 12
#define VBLK_CFG_BLK_SIZE 20
#define VBLK_CFG_NUM_QUEUES 34
#define VBLK_CFG_BYTES 36 /* through num_queues: all we read */

/* ------------------------------------------------------------ transport */

/*
 * Send one message with up to VU_MAX_REGIONS fds (MSG_NOSIGNAL).  Returns 0
 * or -errno (-EPIPE / -ECONNRESET when the peer is gone).
 */
int vu_send(int sock, const struct vu_msg *m, const int *fds, int nfds);
/*
 * Receive one message, waiting up to timeout_ms (-1: forever).  Received
 * fds are stored in fds[] (up to *nfds on entry; the count on return;
 * extra ones are closed).  Returns 0, -ETIMEDOUT, -ECONNRESET (EOF or
 * reset), -EPROTO (malformed) or -errno.
 */
int vu_recv(int sock, struct vu_msg *m, int *fds, int *nfds, int timeout_ms);
const char *vu_request_name(uint32_t req);

/* true when the socket has hung up or has an error pending (non-blocking check) */
bool vu_peer_gone(int sock);

#endif
