/* SPDX-License-Identifier: MIT */
/*
 * The vhost-user-blk front end (see include/swiotlb/vhost_blk.h).
 *
 * Data structures.  A `struct vq` per virtqueue: the split ring's three
 * parts in shared memory (one coherent allocation for all queues), the
 * kick and call eventfds, and private state the device cannot touch: the
 * free-descriptor list (fnext[]), the shadow avail index, the last used
 * index seen, and per head descriptor a `struct slot` with the request and
 * the bounce mappings to undo.  Each head also owns 16 bytes of request
 * header and one status byte in the arena (private memory unless
 * share_all): they are mapped like data, TO_DEVICE and FROM_DEVICE.
 *
 * Invariants (per queue): nfree + sum over in-flight slots of ndesc == num;
 * a slot's req is non-NULL exactly while its chain is in flight; every
 * mapping recorded in a slot is live in the instance.  Nothing the device
 * writes in shared memory is trusted: used ids and lengths are checked
 * against the private slots before use.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "shm.h"
#include "swiotlb/vhost_blk.h"

#define MAX_SEGS 64 /* data descriptors per request */
#define NO_DESC 0xffffu

struct map_rec {
	uint64_t dma;
	uint64_t phys;     /* the original (traces) */
	uint32_t len;
	uint32_t dir;
};

struct slot {
	struct swiotlb_vblk_req *req;
	uint16_t ndesc;   /* descriptors in the chain (maps = ndesc) */
	uint32_t writable; /* bytes the device may write (data of IN + status) */
	struct map_rec map[MAX_SEGS + 2];
};

struct vq {
	unsigned index, num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	int kick_fd, call_fd;
	uint16_t *fnext;    /* private free list */
	uint16_t free_head;
	unsigned nfree;
	uint16_t avail_idx; /* shadow of avail->idx */
	uint16_t last_used;
	unsigned inflight;
	struct slot *slots;
	uint64_t hdr_phys;  /* num headers of 16 bytes, then num status bytes */
	uint8_t *hdr_cpu;
};

struct swiotlb_vblk {
	struct vshm shm;
	struct swiotlb *tlb;
	struct swiotlb_device dev;
	int sock;
	int timeout_ms;
	bool share_all;
	uint64_t features, protocol;
	uint64_t capacity;
	uint32_t blk_size, seg_max, size_max;
	bool read_only;
	uint32_t chunk;      /* bytes per data descriptor */
	uint32_t max_segs;   /* data descriptors per request */
	unsigned nq, qsize;
	struct vq vq[SWIOTLB_VBLK_MAX_QUEUES];
	uint64_t ring_phys, ring_bytes;
	uint64_t arena_phys, arena_bytes, arena_used;
	uint8_t *arena_cpu;
	pthread_mutex_t arena_lock;
	uint64_t coherent_conversions;
	_Atomic int dead;    /* 0, or the error that ended the connection */
	pthread_mutex_t err_lock;
	char err[256];
	swiotlb_log_fn log;
	void *log_arg;
	/* opts.dma_event: every map and unmap under trace_lock, so that the
	 * events come out in the library's order */
	void (*dma_event)(void *arg, const struct swiotlb_vblk_dma_event *ev);
	void *dma_event_arg;
	pthread_mutex_t trace_lock;
};

/* ------------------------------------------------------------ helpers */

static void vlog(struct swiotlb_vblk *vb, enum swiotlb_log_level lvl, const char *fmt, ...)
{
	if (!vb->log)
		return;
	char line[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	vb->log(vb->log_arg, lvl, line);
}

static void set_err(struct swiotlb_vblk *vb, const char *fmt, ...)
{
	pthread_mutex_lock(&vb->err_lock);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(vb->err, sizeof(vb->err), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&vb->err_lock);
}

/* Mark the connection dead with `rc` (first caller wins) and say why. */
static int go_dead(struct swiotlb_vblk *vb, int rc, const char *fmt, ...)
{
	int expected = 0;
	if (atomic_compare_exchange_strong(&vb->dead, &expected, rc)) {
		pthread_mutex_lock(&vb->err_lock);
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(vb->err, sizeof(vb->err), fmt, ap);
		va_end(ap);
		pthread_mutex_unlock(&vb->err_lock);
		vlog(vb, SWIOTLB_LOG_ERR, "vhost-blk: %s", vb->err);
	}
	return atomic_load(&vb->dead);
}

static const char *peer_error(int rc)
{
	switch (rc) {
	case -ECONNRESET: return "the back end closed the connection";
	case -EPIPE: return "the back end closed the connection (EPIPE)";
	case -ETIMEDOUT: return "the back end did not answer in time";
	case -EPROTO: return "the back end sent a malformed message";
	default: return strerror(-rc);
	}
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ messages */

static void msg_init(struct vu_msg *m, uint32_t req, uint32_t size)
{
	memset(m, 0, VU_HDR_SIZE + size);
	m->request = req;
	m->flags = VU_VERSION;
	m->size = size;
}

/* Send a request that has a reply (GET_*), receive it into *m. */
static int rpc(struct swiotlb_vblk *vb, struct vu_msg *m)
{
	uint32_t req = m->request;
	int rc = vu_send(vb->sock, m, NULL, 0);
	if (!rc)
		rc = vu_recv(vb->sock, m, NULL, NULL, vb->timeout_ms);
	if (rc) {
		set_err(vb, "%s: %s", vu_request_name(req), peer_error(rc));
		return rc;
	}
	if (m->request != req || !(m->flags & VU_FLAG_REPLY)) {
		set_err(vb, "%s: unexpected reply (request %u, flags 0x%x)", vu_request_name(req), m->request,
			m->flags);
		return -EPROTO;
	}
	return 0;
}

static int rpc_u64(struct swiotlb_vblk *vb, uint32_t req, uint64_t *out)
{
	struct vu_msg m;
	msg_init(&m, req, 0);
	int rc = rpc(vb, &m);
	if (rc)
		return rc;
	if (m.size != 8) {
		set_err(vb, "%s: reply of %u bytes, expected 8", vu_request_name(req), m.size);
		return -EPROTO;
	}
	*out = m.payload.u64;
	return 0;
}

/* Send a request without a reply; with REPLY_ACK, ask for and check the ack. */
static int send_set(struct swiotlb_vblk *vb, struct vu_msg *m, const int *fds, int nfds)
{
	uint32_t req = m->request;
	bool ack = vb->protocol & (1ull << VU_PROTOCOL_F_REPLY_ACK);
	if (ack)
		m->flags |= VU_FLAG_NEED_REPLY;
	int rc = vu_send(vb->sock, m, fds, nfds);
	if (rc) {
		set_err(vb, "%s: %s", vu_request_name(req), peer_error(rc));
		return rc;
	}
	if (!ack)
		return 0;
	struct vu_msg r;
	rc = vu_recv(vb->sock, &r, NULL, NULL, vb->timeout_ms);
	if (rc) {
		set_err(vb, "%s: waiting for the ack: %s", vu_request_name(req), peer_error(rc));
		return rc;
	}
	if (r.request != req || !(r.flags & VU_FLAG_REPLY) || r.size != 8) {
		set_err(vb, "%s: malformed ack", vu_request_name(req));
		return -EPROTO;
	}
	if (r.payload.u64) {
		set_err(vb, "%s: the back end refused it (status %llu)", vu_request_name(req),
			(unsigned long long)r.payload.u64);
		return -EREMOTEIO;
	}
	return 0;
}

static int set_u64(struct swiotlb_vblk *vb, uint32_t req, uint64_t v)
{
	struct vu_msg m;
	msg_init(&m, req, 8);
	m.payload.u64 = v;
	return send_set(vb, &m, NULL, 0);
}

static int set_state(struct swiotlb_vblk *vb, uint32_t req, unsigned index, unsigned num)
{
	struct vu_msg m;
	msg_init(&m, req, sizeof(struct vu_vring_state));
	m.payload.state.index = index;
	m.payload.state.num = num;
	return send_set(vb, &m, NULL, 0);
}

static int set_fd(struct swiotlb_vblk *vb, uint32_t req, unsigned index, int fd)
{
	struct vu_msg m;
	msg_init(&m, req, 8);
	m.payload.u64 = index;
	return send_set(vb, &m, &fd, 1);
}

/* ------------------------------------------------------------ setup */

void swiotlb_vblk_opts_init(struct swiotlb_vblk_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->num_queues = 1;
	o->queue_size = 256;
	o->pool_bytes = 64ull << 20;
	o->arena_bytes = 64ull << 20;
	o->timeout_ms = 30000;
	o->connect_timeout_ms = 5000;
}

static int connect_unix(struct swiotlb_vblk *vb, const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		set_err(vb, "socket path missing or too long");
		return -EINVAL;
	}
	strcpy(sa.sun_path, path);
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return -errno;
		if (!connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
			vb->sock = s;
			return 0;
		}
		int e = errno;
		close(s);
		if ((e != ENOENT && e != ECONNREFUSED) || now_ms() >= deadline) {
			set_err(vb, "connect %s: %s", path, strerror(e));
			return -e;
		}
		usleep(20000);
	}
}

static int negotiate(struct swiotlb_vblk *vb, unsigned want_queues)
{
	uint64_t offered;
	int rc = rpc_u64(vb, VU_GET_FEATURES, &offered);
	if (rc)
		return rc;
	if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
		set_err(vb, "the back end does not offer VIRTIO_F_VERSION_1 (features 0x%llx)",
			(unsigned long long)offered);
		return -EPROTONOSUPPORT;
	}
	if (offered & (1ull << VU_F_PROTOCOL_FEATURES)) {
		uint64_t pf;
		rc = rpc_u64(vb, VU_GET_PROTOCOL_FEATURES, &pf);
		if (rc)
			return rc;
		uint64_t want = (1ull << VU_PROTOCOL_F_MQ) | (1ull << VU_PROTOCOL_F_REPLY_ACK) |
				(1ull << VU_PROTOCOL_F_CONFIG);
		/* protocol is still 0 here: this message is never acked */
		rc = set_u64(vb, VU_SET_PROTOCOL_FEATURES, pf & want);
		if (rc)
			return rc;
		vb->protocol = pf & want;
	}
	struct vu_msg m;
	msg_init(&m, VU_SET_OWNER, 0);
	if ((rc = send_set(vb, &m, NULL, 0)))
		return rc;

	unsigned maxq = 1;
	if (vb->protocol & (1ull << VU_PROTOCOL_F_MQ)) {
		uint64_t n;
		if ((rc = rpc_u64(vb, VU_GET_QUEUE_NUM, &n)))
			return rc;
		maxq = n ? (unsigned)n : 1;
	}
	if (!(vb->protocol & (1ull << VU_PROTOCOL_F_CONFIG))) {
		set_err(vb, "the back end does not offer VHOST_USER_PROTOCOL_F_CONFIG: the capacity is unknown");
		return -EPROTONOSUPPORT;
	}
	msg_init(&m, VU_GET_CONFIG, 12 + VBLK_CFG_BYTES);
	m.payload.config.offset = 0;
	m.payload.config.size = VBLK_CFG_BYTES;
	if ((rc = rpc(vb, &m)))
		return rc;
	if (m.size != 12 + VBLK_CFG_BYTES || m.payload.config.size != VBLK_CFG_BYTES) {
		set_err(vb, "GET_CONFIG: the back end returned %u bytes", m.size);
		return -EPROTO;
	}
	const uint8_t *cfg = m.payload.config.region;
	uint64_t cap;
	uint32_t v32;
	uint16_t v16;
	memcpy(&cap, cfg + VBLK_CFG_CAPACITY, 8);
	vb->capacity = le64toh(cap) * SWIOTLB_VBLK_SECTOR;
	uint64_t feat = (1ull << VIRTIO_F_VERSION_1) | (1ull << VU_F_PROTOCOL_FEATURES) |
			(1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
			(1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_RO) |
			(1ull << VIRTIO_BLK_F_MQ);
	vb->features = offered & feat;
	vb->blk_size = 512;
	if (vb->features & (1ull << VIRTIO_BLK_F_BLK_SIZE)) {
		memcpy(&v32, cfg + VBLK_CFG_BLK_SIZE, 4);
		vb->blk_size = le32toh(v32) ? le32toh(v32) : 512;
	}
	if (vb->features & (1ull << VIRTIO_BLK_F_SEG_MAX)) {
		memcpy(&v32, cfg + VBLK_CFG_SEG_MAX, 4);
		vb->seg_max = le32toh(v32);
	}
	if (vb->features & (1ull << VIRTIO_BLK_F_SIZE_MAX)) {
		memcpy(&v32, cfg + VBLK_CFG_SIZE_MAX, 4);
		vb->size_max = le32toh(v32);
	}
	if (vb->features & (1ull << VIRTIO_BLK_F_MQ)) {
		memcpy(&v16, cfg + VBLK_CFG_NUM_QUEUES, 2);
		if (le16toh(v16) && le16toh(v16) < maxq)
			maxq = le16toh(v16);
	}
	vb->read_only = vb->features & (1ull << VIRTIO_BLK_F_RO);
	vb->nq = want_queues < maxq ? want_queues : maxq;
	if (vb->nq > SWIOTLB_VBLK_MAX_QUEUES)
		vb->nq = SWIOTLB_VBLK_MAX_QUEUES;
	return set_u64(vb, VU_SET_FEATURES, vb->features);
}

/* Lay out and share the rings of every queue: one coherent allocation. */
static int alloc_rings(struct swiotlb_vblk *vb)
{
	unsigned num = vb->qsize;
	size_t per = (vring_desc_bytes(num) + vring_avail_bytes(num) + 3) & ~(size_t)3;
	per = (per + vring_used_bytes(num) + 4095) & ~(size_t)4095;
	vb->ring_bytes = per * vb->nq;
	void *cpu;
	int rc = vshm_alloc(&vb->shm, vb->ring_bytes, &vb->ring_phys, &cpu);
	if (!rc)
		rc = vshm_share(&vb->shm, vb->ring_phys, vb->ring_bytes);
	if (rc) {
		set_err(vb, "cannot allocate shared rings: %s", strerror(-rc));
		return rc;
	}
	vb->coherent_conversions++;
	cpu = swiotlb_posix_ptr(vb->shm.px, vb->ring_phys, vb->ring_bytes); /* the shared view */
	for (unsigned q = 0; q < vb->nq; q++) {
		struct vq *vq = &vb->vq[q];
		uint8_t *base = (uint8_t *)cpu + per * q;
		vq->index = q;
		vq->num = num;
		vq->desc = (struct vring_desc *)base;
		vq->avail = (struct vring_avail *)(base + vring_desc_bytes(num));
		vq->used = (struct vring_used *)(base + ((vring_desc_bytes(num) + vring_avail_bytes(num) + 3) & ~(size_t)3));
		vq->fnext = calloc(num, sizeof(uint16_t));
		vq->slots = calloc(num, sizeof(struct slot));
		if (!vq->fnext || !vq->slots)
			return -ENOMEM;
		for (unsigned i = 0; i < num; i++)
			vq->fnext[i] = (uint16_t)(i + 1 < num ? i + 1 : NO_DESC);
		vq->free_head = 0;
		vq->nfree = num;
		void *hc;
		rc = swiotlb_vblk_alloc(vb, (size_t)num * 17, 64, &vq->hdr_phys, &hc);
		if (rc) {
			set_err(vb, "arena too small for the request headers");
			return rc;
		}
		vq->hdr_cpu = hc;
		vq->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		vq->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vq->kick_fd < 0 || vq->call_fd < 0)
			return -errno;
	}
	return 0;
}

static int send_mem_table(struct swiotlb_vblk *vb)
{
	struct vshm_region r[VSHM_MAX_REGIONS];
	int n = vshm_regions(&vb->shm, r, VSHM_MAX_REGIONS);
	struct vu_msg m;
	msg_init(&m, VU_SET_MEM_TABLE, (uint32_t)(8 + n * sizeof(struct vu_region)));
	m.payload.memory.nregions = (uint32_t)n;
	int fds[VSHM_MAX_REGIONS];
	for (int i = 0; i < n; i++) {
		m.payload.memory.regions[i].gpa = r[i].phys;
		m.payload.memory.regions[i].size = r[i].bytes;
		m.payload.memory.regions[i].uaddr = (uint64_t)(uintptr_t)r[i].cpu;
		m.payload.memory.regions[i].mmap_offset = 0; /* each region is its own memfd */
		fds[i] = r[i].fd;
		vlog(vb, SWIOTLB_LOG_DEBUG, "vhost-blk: shared region %d [0x%llx-0x%llx)", i,
		     (unsigned long long)r[i].phys, (unsigned long long)(r[i].phys + r[i].bytes));
	}
	return send_set(vb, &m, fds, n);
}

static int start_queue(struct swiotlb_vblk *vb, struct vq *vq)
{
	int rc;
	if ((rc = set_state(vb, VU_SET_VRING_NUM, vq->index, vq->num)))
		return rc;
	struct vu_msg m;
	msg_init(&m, VU_SET_VRING_ADDR, sizeof(struct vu_vring_addr));
	m.payload.addr.index = vq->index;
	m.payload.addr.desc = (uint64_t)(uintptr_t)vq->desc;
	m.payload.addr.avail = (uint64_t)(uintptr_t)vq->avail;
	m.payload.addr.used = (uint64_t)(uintptr_t)vq->used;
	if ((rc = send_set(vb, &m, NULL, 0)))
		return rc;
	if ((rc = set_state(vb, VU_SET_VRING_BASE, vq->index, 0)))
		return rc;
	if ((rc = set_fd(vb, VU_SET_VRING_CALL, vq->index, vq->call_fd)))
		return rc;
	if ((rc = set_fd(vb, VU_SET_VRING_KICK, vq->index, vq->kick_fd)))
		return rc;
	if (vb->features & (1ull << VU_F_PROTOCOL_FEATURES))
		rc = set_state(vb, VU_SET_VRING_ENABLE, vq->index, 1);
	return rc;
}

static int build_tlb(struct swiotlb_vblk *vb, const struct swiotlb_vblk_opts *o)
{
	struct swiotlb_config cfg;
	swiotlb_config_init(&cfg);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cfg.ncpus = ncpu > 0 ? (uint32_t)ncpu : 1;
	if (o->share_all) {
		cfg.npools = 0; /* the baseline bounces nothing: no pool to share */
	} else {
		uint64_t slots = (o->pool_bytes ? o->pool_bytes : 64ull << 20) >> SWIOTLB_SLOT_SHIFT;
		cfg.pools[0].nslabs = slots ? slots : 1;
		cfg.pools[0].exact = o->pool_exact;
		if (o->pool_exact)
			cfg.pools[0].nareas = 1;
		cfg.size_given = true;
	}
	int rc = swiotlb_create(&cfg, &vb->shm.plat, &vb->tlb);
	if (rc) {
		set_err(vb, "swiotlb_create: %s", swiotlb_strerror(rc));
		return -ENOMEM;
	}
	if (!o->share_all && swiotlb_pool_count(vb->tlb) < 1) {
		set_err(vb, "no bounce pool could be created");
		return -ENOMEM;
	}
	swiotlb_device_init(&vb->dev, "vhost-blk", swiotlb_bit_mask(64));
	if (!o->share_all)
		vb->dev.flags |= SWIOTLB_DEV_FORCE_BOUNCE; /* a confidential guest bounces everything */
	return 0;
}

int swiotlb_vblk_open(const struct swiotlb_vblk_opts *o, struct swiotlb_vblk **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!o || o->size != sizeof(*o)) {
		if (err && errlen)
			snprintf(err, errlen, "bad options");
		return -EINVAL;
	}
	struct swiotlb_vblk *vb = calloc(1, sizeof(*vb));
	if (!vb)
		return -ENOMEM;
	vb->sock = -1;
	for (int q = 0; q < SWIOTLB_VBLK_MAX_QUEUES; q++)
		vb->vq[q].kick_fd = vb->vq[q].call_fd = -1;
	pthread_mutex_init(&vb->err_lock, NULL);
	pthread_mutex_init(&vb->arena_lock, NULL);
	pthread_mutex_init(&vb->trace_lock, NULL);
	vb->dma_event = o->dma_event;
	vb->dma_event_arg = o->dma_event_arg;
	vb->log = o->log;
	vb->log_arg = o->log_arg;
	vb->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000;
	vb->share_all = o->share_all;
	vb->qsize = o->queue_size ? o->queue_size : 256;
	int rc = 0;
	if (vb->qsize < 4 || vb->qsize > 32768 || (vb->qsize & (vb->qsize - 1))) {
		set_err(vb, "queue size %u is not a power of two in [4, 32768]", vb->qsize);
		rc = -EINVAL;
		goto fail_early;
	}
	if ((rc = vshm_init(&vb->shm, o->log, o->log_arg))) {
		set_err(vb, "cannot create the guest address space");
		goto fail_early;
	}
	if ((rc = build_tlb(vb, o)))
		goto fail;

	vb->arena_bytes = ((o->arena_bytes ? o->arena_bytes : 64ull << 20) + 0xfff) & ~0xfffull;
	void *acpu;
	if ((rc = vshm_alloc(&vb->shm, vb->arena_bytes, &vb->arena_phys, &acpu))) {
		set_err(vb, "cannot allocate a %llu-byte arena", (unsigned long long)vb->arena_bytes);
		goto fail;
	}
	if (o->share_all) {
		if ((rc = vshm_share(&vb->shm, vb->arena_phys, vb->arena_bytes))) {
			set_err(vb, "cannot share the arena: %s", strerror(-rc));
			goto fail;
		}
		vb->coherent_conversions++;
	}
	vb->arena_cpu = swiotlb_posix_ptr(vb->shm.px, vb->arena_phys, vb->arena_bytes);

	if ((rc = connect_unix(vb, o->socket, o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000)))
		goto fail;
	if ((rc = negotiate(vb, o->num_queues ? o->num_queues : 1)))
		goto fail;
	if ((rc = alloc_rings(vb)))
		goto fail;
	/* the segment size: the device's size_max and the largest bounce */
	uint64_t chunk = vb->share_all ? (1u << 20) : swiotlb_max_mapping_size(&vb->dev);
	if (vb->size_max && vb->size_max < chunk)
		chunk = vb->size_max;
	vb->chunk = (uint32_t)(chunk & ~(uint64_t)(SWIOTLB_VBLK_SECTOR - 1));
	vb->max_segs = MAX_SEGS;
	if (vb->seg_max && vb->seg_max < vb->max_segs)
		vb->max_segs = vb->seg_max;
	if (vb->max_segs > vb->qsize - 2)
		vb->max_segs = vb->qsize - 2;
	if (!vb->chunk || !vb->max_segs) {
		set_err(vb, "the device's limits leave no room for data (size_max %u, seg_max %u)", vb->size_max,
			vb->seg_max);
		rc = -EPROTO;
		goto fail;
	}
	if ((rc = send_mem_table(vb)))
		goto fail;
	for (unsigned q = 0; q < vb->nq; q++)
		if ((rc = start_queue(vb, &vb->vq[q])))
			goto fail;
	vlog(vb, SWIOTLB_LOG_INFO,
	     "vhost-blk: connected to %s: %llu bytes, %u queue(s) of %u, features 0x%llx, protocol 0x%llx, %s",
	     o->socket, (unsigned long long)vb->capacity, vb->nq, vb->qsize, (unsigned long long)vb->features,
	     (unsigned long long)vb->protocol, vb->share_all ? "share-all" : "bounce");
	*out = vb;
	return 0;
fail:
	if (err && errlen)
		snprintf(err, errlen, "%s", vb->err[0] ? vb->err : strerror(-rc));
	swiotlb_vblk_close(vb);
	return rc;
fail_early:
	if (err && errlen)
		snprintf(err, errlen, "%s", vb->err);
	pthread_mutex_destroy(&vb->err_lock);
	pthread_mutex_destroy(&vb->arena_lock);
	pthread_mutex_destroy(&vb->trace_lock);
	free(vb);
	return rc;
}

/* One unmap, reported when traced (opts.dma_event). */
static void unmap_rec(struct swiotlb_vblk *vb, unsigned q, const struct map_rec *m, uint32_t attrs)
{
	if (!vb->dma_event) {
		swiotlb_unmap(vb->tlb, &vb->dev, m->dma, m->len, m->dir, attrs);
		return;
	}
	pthread_mutex_lock(&vb->trace_lock);
	int rc = swiotlb_unmap(vb->tlb, &vb->dev, m->dma, m->len, m->dir, attrs);
	struct swiotlb_vblk_dma_event ev = {.map = false, .queue = q, .dir = m->dir, .attrs = attrs, .rc = rc,
					    .phys = m->phys, .dma = m->dma, .size = m->len};
	vb->dma_event(vb->dma_event_arg, &ev);
	pthread_mutex_unlock(&vb->trace_lock);
}

void swiotlb_vblk_close(struct swiotlb_vblk *vb)
{
	if (!vb)
		return;
	if (vb->sock >= 0 && !atomic_load(&vb->dead) && vb->vq[0].desc) {
		/* stop each ring: the back end answers with its avail index */
		int saved = vb->timeout_ms;
		vb->timeout_ms = 2000;
		for (unsigned q = 0; q < vb->nq; q++) {
			struct vu_msg m;
			msg_init(&m, VU_GET_VRING_BASE, sizeof(struct vu_vring_state));
			m.payload.state.index = q;
			if (rpc(vb, &m))
				break;
		}
		vb->timeout_ms = saved;
	}
	if (vb->sock >= 0)
		close(vb->sock);
	for (unsigned q = 0; q < SWIOTLB_VBLK_MAX_QUEUES; q++) {
		struct vq *vq = &vb->vq[q];
		/* abandon what is still in flight: release its slots without copying */
		for (unsigned h = 0; vq->slots && h < vq->num; h++) {
			struct slot *s = &vq->slots[h];
			for (unsigned i = 0; s->req && i < s->ndesc; i++)
				unmap_rec(vb, q, &s->map[i], SWIOTLB_ATTR_SKIP_CPU_SYNC);
		}
		if (vq->kick_fd >= 0)
			close(vq->kick_fd);
		if (vq->call_fd >= 0)
			close(vq->call_fd);
		free(vq->fnext);
		free(vq->slots);
	}
	swiotlb_destroy(vb->tlb); /* unshares the pool */
	if (vb->ring_bytes && vshm_unshare(&vb->shm, vb->ring_phys, vb->ring_bytes) == 0)
		vshm_free(&vb->shm, vb->ring_phys, vb->ring_bytes);
	if (vb->arena_bytes) {
		if (vb->share_all)
			vshm_unshare(&vb->shm, vb->arena_phys, vb->arena_bytes);
		vshm_free(&vb->shm, vb->arena_phys, vb->arena_bytes);
	}
	vshm_fini(&vb->shm);
	pthread_mutex_destroy(&vb->err_lock);
	pthread_mutex_destroy(&vb->arena_lock);
	pthread_mutex_destroy(&vb->trace_lock);
	free(vb);
}

int swiotlb_vblk_info(const struct swiotlb_vblk *vb, struct swiotlb_vblk_info *info)
{
	if (!vb || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->features = vb->features;
	info->protocol_features = vb->protocol;
	info->capacity = vb->capacity;
	info->blk_size = vb->blk_size;
	info->seg_max = vb->seg_max;
	info->size_max = vb->size_max;
	info->num_queues = vb->nq;
	info->queue_size = vb->qsize;
	info->read_only = vb->read_only;
	info->share_all = vb->share_all;
	struct vshm_region r[VSHM_MAX_REGIONS];
	int n = vshm_regions((struct vshm *)&vb->shm, r, VSHM_MAX_REGIONS);
	info->nregions = (uint32_t)n;
	for (int i = 0; i < n; i++)
		info->shared_bytes += r[i].bytes;
	info->private_bytes = vb->share_all ? 0 : vb->arena_bytes;
	info->coherent_conversions = vb->coherent_conversions;
	info->max_request_bytes = (uint64_t)vb->chunk * vb->max_segs;
	return 0;
}

struct swiotlb *swiotlb_vblk_tlb(struct swiotlb_vblk *vb)
{
	return vb ? vb->tlb : NULL;
}

const char *swiotlb_vblk_errmsg(const struct swiotlb_vblk *vb)
{
	return vb ? vb->err : "";
}

int swiotlb_vblk_alloc(struct swiotlb_vblk *vb, size_t bytes, size_t align, uint64_t *phys, void **cpu)
{
	if (!align)
		align = 8;
	if (align & (align - 1))
		return -EINVAL;
	pthread_mutex_lock(&vb->arena_lock);
	uint64_t at = (vb->arena_used + align - 1) & ~(uint64_t)(align - 1);
	int rc = -ENOMEM;
	if (at <= vb->arena_bytes && bytes <= vb->arena_bytes - at) {
		vb->arena_used = at + bytes;
		*phys = vb->arena_phys + at;
		*cpu = vb->arena_cpu + at;
		rc = 0;
	}
	pthread_mutex_unlock(&vb->arena_lock);
	return rc;
}

void swiotlb_vblk_release(struct swiotlb_vblk *vb, uint64_t phys)
{
	pthread_mutex_lock(&vb->arena_lock);
	if (phys >= vb->arena_phys && phys - vb->arena_phys <= vb->arena_used)
		vb->arena_used = phys - vb->arena_phys;
	pthread_mutex_unlock(&vb->arena_lock);
}

/* ------------------------------------------------------------ data path */

unsigned swiotlb_vblk_inflight(const struct swiotlb_vblk *vb, unsigned q)
{
	return q < vb->nq ? vb->vq[q].inflight : 0;
}

int swiotlb_vblk_kick(struct swiotlb_vblk *vb, unsigned q)
{
	struct vq *vq = &vb->vq[q];
	/* the avail index store (seq_cst) is ordered before this seq_cst load:
	 * either we see the device's NO_NOTIFY or it sees our new entries */
	if (__atomic_load_n(&vq->used->flags, __ATOMIC_SEQ_CST) & htole16(VRING_USED_F_NO_NOTIFY))
		return 0;
	uint64_t one = 1;
	if (write(vq->kick_fd, &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
		return -errno;
	return 0;
}

static void unmap_slot(struct swiotlb_vblk *vb, unsigned q, struct slot *s, unsigned n, uint32_t attrs)
{
	for (unsigned i = 0; i < n; i++)
		unmap_rec(vb, q, &s->map[i], attrs);
}

static int map_one(struct swiotlb_vblk *vb, unsigned q, struct slot *s, unsigned i, uint64_t phys, uint32_t len,
		   uint32_t dir, uint32_t attrs)
{
	struct swiotlb_map_args a = {.orig = phys, .size = len, .dir = dir, .attrs = attrs, .cpu = -1};
	struct swiotlb_map_result res;
	if (!vb->dma_event) {
		int rc = swiotlb_map_ex(vb->tlb, &vb->dev, &a, &res);
		if (!rc)
			s->map[i] = (struct map_rec){res.dma, phys, len, dir};
		return rc;
	}
	pthread_mutex_lock(&vb->trace_lock);
	int rc = swiotlb_map_ex(vb->tlb, &vb->dev, &a, &res);
	struct swiotlb_vblk_dma_event ev = {.map = true, .queue = q, .dir = dir, .attrs = attrs, .rc = rc,
					    .phys = phys, .dma = rc ? 0 : res.dma, .size = len,
					    .bounced = !rc && res.bounced};
	vb->dma_event(vb->dma_event_arg, &ev);
	pthread_mutex_unlock(&vb->trace_lock);
	if (!rc)
		s->map[i] = (struct map_rec){res.dma, phys, len, dir};
	return rc;
}

int swiotlb_vblk_submit(struct swiotlb_vblk *vb, unsigned q, struct swiotlb_vblk_req *r, bool kick, int *serr)
{
	int dead = atomic_load(&vb->dead);
	if (dead)
		return dead;
	if (q >= vb->nq || !r)
		return -EINVAL;
	struct vq *vq = &vb->vq[q];
	bool device_writes = r->type == SWIOTLB_VBLK_T_IN || r->type == SWIOTLB_VBLK_T_GET_ID;
	switch (r->type) {
	case SWIOTLB_VBLK_T_IN:
	case SWIOTLB_VBLK_T_OUT:
		if (!r->len || r->len % SWIOTLB_VBLK_SECTOR ||
		    r->sector > vb->capacity / SWIOTLB_VBLK_SECTOR ||
		    r->len / SWIOTLB_VBLK_SECTOR > vb->capacity / SWIOTLB_VBLK_SECTOR - r->sector)
			return -EINVAL;
		if (r->type == SWIOTLB_VBLK_T_OUT && vb->read_only)
			return -EROFS;
		break;
	case SWIOTLB_VBLK_T_FLUSH:
		if (r->len)
			return -EINVAL;
		break;
	case SWIOTLB_VBLK_T_GET_ID:
		if (r->len < SWIOTLB_VBLK_ID_BYTES)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	unsigned nseg = (unsigned)((r->len + vb->chunk - 1) / vb->chunk);
	if (nseg > vb->max_segs)
		return -E2BIG;
	unsigned ndesc = nseg + 2;
	if (vq->nfree < ndesc)
		return -EAGAIN;

	uint16_t head = vq->free_head;
	struct slot *s = &vq->slots[head];
	struct virtio_blk_outhdr *h = (struct virtio_blk_outhdr *)(vq->hdr_cpu + (size_t)head * 16);
	uint8_t *status = vq->hdr_cpu + (size_t)vq->num * 16 + head;
	h->type = htole32(r->type);
	h->reserved = 0;
	h->sector = htole64(r->sector);
	*status = 0xff;

	/* map header, data, status; on failure undo without copying back */
	uint32_t attrs = SWIOTLB_ATTR_NO_WARN;
	uint32_t ddir = device_writes ? SWIOTLB_FROM_DEVICE : SWIOTLB_TO_DEVICE;
	unsigned nm = 0;
	int rc = map_one(vb, q, s, nm, vq->hdr_phys + (uint64_t)head * 16, 16, SWIOTLB_TO_DEVICE, attrs);
	if (!rc)
		nm++;
	for (unsigned i = 0; !rc && i < nseg; i++) {
		uint64_t off = (uint64_t)i * vb->chunk;
		uint32_t len = (uint32_t)(r->len - off < vb->chunk ? r->len - off : vb->chunk);
		rc = map_one(vb, q, s, nm, r->data + off, len, ddir, attrs);
		if (!rc)
			nm++;
	}
	if (!rc) {
		rc = map_one(vb, q, s, nm, vq->hdr_phys + (uint64_t)vq->num * 16 + head, 1, SWIOTLB_FROM_DEVICE,
			     attrs);
		if (!rc)
			nm++;
	}
	if (rc) {
		unmap_slot(vb, q, s, nm, SWIOTLB_ATTR_SKIP_CPU_SYNC);
		if (serr)
			*serr = rc;
		return rc == SWIOTLB_EFULL ? -ENOBUFS : rc == SWIOTLB_ETOOLARGE ? -E2BIG : -EIO;
	}

	/* the chain, from the private free list */
	uint16_t d = head;
	s->writable = 1;
	for (unsigned i = 0; i < ndesc; i++) {
		struct vring_desc *dd = &vq->desc[d];
		uint16_t flags = 0;
		if (i > 0 && (i == ndesc - 1 || device_writes))
			flags |= VRING_DESC_F_WRITE;
		if (i > 0 && i < ndesc - 1 && device_writes)
			s->writable += s->map[i].len;
		uint16_t nx = vq->fnext[d];
		if (i + 1 < ndesc)
			flags |= VRING_DESC_F_NEXT;
		dd->addr = htole64(s->map[i].dma);
		dd->len = htole32(s->map[i].len);
		dd->flags = htole16(flags);
		dd->next = htole16(i + 1 < ndesc ? nx : 0);
		if (i + 1 < ndesc)
			d = nx;
		else
			vq->free_head = nx;
	}
	vq->nfree -= ndesc;
	s->req = r;
	s->ndesc = (uint16_t)ndesc;
	r->head = head;
	r->ndesc = (uint16_t)ndesc;
	r->status = 0xff;
	r->error = 0;
	r->used_len = 0;
	vq->avail->ring[vq->avail_idx % vq->num] = htole16(head);
	vq->avail_idx++;
	__atomic_store_n(&vq->avail->idx, htole16(vq->avail_idx), __ATOMIC_SEQ_CST);
	vq->inflight++;
	return kick ? swiotlb_vblk_kick(vb, q) : 0;
}

/*
 * VRING_AVAIL_F_NO_INTERRUPT off (on=true) or on.  The store is seq_cst and
 * reap() loads the used index seq_cst, so re-enabling and then looking at
 * the used ring cannot miss an entry the device published without a signal.
 */
static void set_interrupts(struct vq *vq, bool on)
{
	uint16_t want = on ? 0 : htole16(VRING_AVAIL_F_NO_INTERRUPT);
	if (__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) != want)
		__atomic_store_n(&vq->avail->flags, want, __ATOMIC_SEQ_CST);
}

/* Return a finished chain's descriptors to the private free list. */
static void free_chain(struct vq *vq, uint16_t head, unsigned ndesc)
{
	uint16_t last = head;
	for (unsigned i = 1; i < ndesc; i++)
		last = vq->fnext[last];
	vq->fnext[last] = vq->free_head;
	vq->free_head = head;
	vq->nfree += ndesc;
}

static int reap(struct swiotlb_vblk *vb, struct vq *vq, struct swiotlb_vblk_req **done, int max)
{
	int n = 0;
	uint16_t used_idx = le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_SEQ_CST));
	while (vq->last_used != used_idx && n < max) {
		struct vring_used_elem e = vq->used->ring[vq->last_used % vq->num];
		uint32_t id = le32toh(e.id), len = le32toh(e.len);
		if (id >= vq->num || !vq->slots[id].req) {
			go_dead(vb, -EPROTO, "queue %u: the device returned descriptor %u, which is not in flight",
				vq->index, id);
			return n;
		}
		vq->last_used++;
		struct slot *s = &vq->slots[id];
		struct swiotlb_vblk_req *r = s->req;
		/* unmap copies the data (FROM_DEVICE) and the status byte back */
		unmap_slot(vb, vq->index, s, s->ndesc, 0);
		r->status = vq->hdr_cpu[(size_t)vq->num * 16 + id];
		r->used_len = len > s->writable ? s->writable : len;
		r->error = 0;
		s->req = NULL;
		free_chain(vq, (uint16_t)id, s->ndesc);
		vq->inflight--;
		done[n++] = r;
	}
	return n;
}

/* The back end is gone: hand back what is still in flight, as failed. */
static int abort_inflight(struct swiotlb_vblk *vb, struct vq *vq, struct swiotlb_vblk_req **done, int max)
{
	int n = 0, err = atomic_load(&vb->dead);
	for (unsigned h = 0; h < vq->num && n < max; h++) {
		struct slot *s = &vq->slots[h];
		if (!s->req)
			continue;
		unmap_slot(vb, vq->index, s, s->ndesc, SWIOTLB_ATTR_SKIP_CPU_SYNC);
		s->req->status = 0xff;
		s->req->error = err;
		done[n++] = s->req;
		s->req = NULL;
		free_chain(vq, (uint16_t)h, s->ndesc);
		vq->inflight--;
	}
	return n ? n : err;
}

int swiotlb_vblk_complete(struct swiotlb_vblk *vb, unsigned q, struct swiotlb_vblk_req **done, int max,
			  int timeout_ms)
{
	if (q >= vb->nq || max <= 0)
		return -EINVAL;
	struct vq *vq = &vb->vq[q];
	bool full_wait = timeout_ms < 0 || timeout_ms >= vb->timeout_ms;
	if (timeout_ms < 0 || timeout_ms > vb->timeout_ms)
		timeout_ms = vb->timeout_ms;
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		int n = reap(vb, vq, done, max);
		if (n)
			return n;
		if (atomic_load(&vb->dead))
			return abort_inflight(vb, vq, done, max);
		if (!vq->inflight)
			return 0;
		/*
		 * About to sleep: ask for interrupts again, then look once more
		 * (the device checks the flag after publishing used entries, so
		 * one of us sees the other's store).  While we are awake and
		 * busy the flag stays set and the device does not signal.
		 */
		set_interrupts(vq, true);
		n = reap(vb, vq, done, max);
		if (n) {
			set_interrupts(vq, false);
			return n;
		}
		long long left = deadline - now_ms();
		if (left <= 0) {
			if (!full_wait)
				return 0;
			go_dead(vb, -ETIMEDOUT, "queue %u: the back end completed none of %u requests in %d ms", q,
				vq->inflight, vb->timeout_ms);
			continue;
		}
		struct pollfd p[2] = {{vq->call_fd, POLLIN, 0}, {vb->sock, POLLRDHUP, 0}};
		int rc = poll(p, 2, (int)left);
		if (rc < 0 && errno != EINTR) {
			go_dead(vb, -errno, "poll: %s", strerror(errno));
			continue;
		}
		set_interrupts(vq, false);
		if (rc > 0 && (p[0].revents & POLLIN)) {
			uint64_t v;
			if (read(vq->call_fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
				go_dead(vb, -errno, "reading the call eventfd: %s", strerror(errno));
				continue;
			}
		}
		if (rc > 0 && (p[1].revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL))) {
			/* what the device completed before it went is real: reap it first */
			n = reap(vb, vq, done, max);
			go_dead(vb, -ECONNRESET, "the back end closed the connection (%u request(s) in flight on queue %u)",
				vq->inflight, q);
			if (n)
				return n;
		}
	}
}
