/* SPDX-License-Identifier: MIT */
/*
 * The built-in vhost-user-blk back end: a minimal device serving a raw
 * image file or a memory image, so the front end can be shown and tested
 * without QEMU.  It speaks the same protocol subset as the front end (see
 * docs/vhost-blk.md), maps only the regions of the memory table, and
 * translates every descriptor address through them: an address outside the
 * shared regions fails the request with VIRTIO_BLK_S_IOERR and is counted
 * in bad_addresses -- the check that private memory never reaches a device.
 *
 * One thread serves one connection at a time: poll() on the socket, the
 * kick eventfds of started queues and a stop pipe; a kick drains the
 * queue's avail ring, executes each request synchronously and signals the
 * call eventfd once per batch.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"
#include "swiotlb/vhost_blk.h"

#define BE_MAX_QUEUES SWIOTLB_VBLK_MAX_QUEUES
#define MAX_CHAIN 260 /* descriptors per request we accept */

struct be_region {
	uint64_t gpa, size, uaddr;
	uint8_t *map;
};

struct be_vq {
	unsigned num;
	uint64_t desc_ua, avail_ua, used_ua;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	int kick, call;
	uint16_t last_avail;
	bool enabled;
};

struct be_conn {
	int sock;
	uint64_t features, protocol;
	int nregions;
	struct be_region regions[VU_MAX_REGIONS];
	struct be_vq vq[BE_MAX_QUEUES];
};

struct swiotlb_vblk_backend {
	struct swiotlb_vblk_backend_opts o;
	char *socket_path;
	int listen_fd;
	int stop_pipe[2];
	volatile sig_atomic_t *stop_flag;
	int image_fd;       /* -1: memory image */
	uint8_t *mem;
	uint64_t capacity;  /* bytes */
	pthread_t thread;
	bool threaded;
	_Atomic uint64_t connections, requests, bytes_read, bytes_written, bad_addresses;
};

static void be_log(struct swiotlb_vblk_backend *be, enum swiotlb_log_level lvl, const char *fmt, ...)
{
	if (!be->o.log)
		return;
	char line[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	be->o.log(be->o.log_arg, lvl, line);
}

void swiotlb_vblk_backend_opts_init(struct swiotlb_vblk_backend_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->mem_bytes = 64ull << 20;
	o->num_queues = 4;
	o->seg_max = 128;
}

/* ------------------------------------------------------------ memory */

static void *gpa_to_ptr(struct be_conn *c, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < c->nregions; i++) {
		struct be_region *r = &c->regions[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r->map + (gpa - r->gpa);
	}
	return NULL;
}

static void *ua_to_ptr(struct be_conn *c, uint64_t ua, uint64_t len)
{
	for (int i = 0; i < c->nregions; i++) {
		struct be_region *r = &c->regions[i];
		if (ua >= r->uaddr && ua - r->uaddr < r->size && len <= r->size - (ua - r->uaddr))
			return r->map + (ua - r->uaddr);
	}
	return NULL;
}

static void unmap_regions(struct be_conn *c)
{
	for (int i = 0; i < c->nregions; i++)
		munmap(c->regions[i].map, c->regions[i].size);
	c->nregions = 0;
}

static void reset_conn(struct be_conn *c)
{
	unmap_regions(c);
	for (int q = 0; q < BE_MAX_QUEUES; q++) {
		if (c->vq[q].kick >= 0)
			close(c->vq[q].kick);
		if (c->vq[q].call >= 0)
			close(c->vq[q].call);
	}
	if (c->sock >= 0)
		close(c->sock);
	memset(c, 0, sizeof(*c));
	c->sock = -1;
	for (int q = 0; q < BE_MAX_QUEUES; q++)
		c->vq[q].kick = c->vq[q].call = -1;
}

/* ------------------------------------------------------------ requests */

static int image_io(struct swiotlb_vblk_backend *be, bool write, uint64_t off, void *buf, uint32_t len)
{
	if (be->image_fd < 0) {
		if (write)
			memcpy(be->mem + off, buf, len);
		else
			memcpy(buf, be->mem + off, len);
		return 0;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = write ? pwrite(be->image_fd, (char *)buf + done, len - done, (off_t)(off + done))
				  : pread(be->image_fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) { /* past the end of a file: reads see zeros */
			if (write)
				return -EIO;
			memset((char *)buf + done, 0, len - done);
			break;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Execute the chain at `head`; returns the bytes written into guest memory. */
static uint32_t run_request(struct swiotlb_vblk_backend *be, struct be_conn *c, struct be_vq *vq, uint16_t head)
{
	struct {
		uint8_t *p;
		uint32_t len;
		bool w;
	} seg[MAX_CHAIN];
	unsigned n = 0;
	bool bad = false;
	uint16_t d = head;
	for (unsigned steps = 0;; steps++) {
		if (d >= vq->num || steps >= vq->num || n >= sizeof(seg) / sizeof(seg[0])) {
			bad = true;
			break;
		}
		struct vring_desc desc = vq->desc[d];
		uint64_t addr = le64toh(desc.addr);
		uint32_t len = le32toh(desc.len);
		uint16_t flags = le16toh(desc.flags);
		seg[n].p = gpa_to_ptr(c, addr, len);
		seg[n].len = len;
		seg[n].w = flags & VRING_DESC_F_WRITE;
		if (!seg[n].p) {
			atomic_fetch_add(&be->bad_addresses, 1);
			be_log(be, SWIOTLB_LOG_ERR, "builtin: descriptor address 0x%llx+%u is outside the shared memory",
			       (unsigned long long)addr, len);
			bad = true;
		}
		n++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		d = le16toh(desc.next);
	}
	atomic_fetch_add(&be->requests, 1);
	uint8_t *status = (n >= 2 && seg[n - 1].p && seg[n - 1].w && seg[n - 1].len >= 1) ? seg[n - 1].p : NULL;
	if (bad || !status || !seg[0].p || seg[0].w || seg[0].len < sizeof(struct virtio_blk_outhdr)) {
		if (status)
			*status = SWIOTLB_VBLK_S_IOERR;
		return status ? 1 : 0;
	}
	struct virtio_blk_outhdr h;
	memcpy(&h, seg[0].p, sizeof(h));
	uint32_t type = le32toh(h.type);
	uint64_t off = le64toh(h.sector) * SWIOTLB_VBLK_SECTOR;
	uint64_t total = 0;
	for (unsigned i = 1; i + 1 < n; i++)
		total += seg[i].len;
	uint8_t st = SWIOTLB_VBLK_S_OK;
	uint32_t written = 0;
	switch (type) {
	case SWIOTLB_VBLK_T_IN:
	case SWIOTLB_VBLK_T_OUT: {
		bool wr = type == SWIOTLB_VBLK_T_OUT;
		if (wr && be->o.read_only) {
			st = SWIOTLB_VBLK_S_IOERR;
			break;
		}
		if (off > be->capacity || total > be->capacity - off) {
			st = SWIOTLB_VBLK_S_IOERR;
			break;
		}
		for (unsigned i = 1; i + 1 < n && st == SWIOTLB_VBLK_S_OK; i++) {
			if (seg[i].w == wr) { /* a write's data is read by the device and vice versa */
				st = SWIOTLB_VBLK_S_IOERR;
				break;
			}
			if (image_io(be, wr, off, seg[i].p, seg[i].len))
				st = SWIOTLB_VBLK_S_IOERR;
			off += seg[i].len;
			if (!wr)
				written += seg[i].len;
		}
		atomic_fetch_add(wr ? &be->bytes_written : &be->bytes_read, total);
		break;
	}
	case SWIOTLB_VBLK_T_FLUSH:
		if (be->image_fd >= 0 && fdatasync(be->image_fd))
			st = SWIOTLB_VBLK_S_IOERR;
		break;
	case SWIOTLB_VBLK_T_GET_ID: {
		static const char id[SWIOTLB_VBLK_ID_BYTES] = "swiotlb-builtin";
		if (n < 3 || !seg[1].w || seg[1].len < sizeof(id)) {
			st = SWIOTLB_VBLK_S_IOERR;
			break;
		}
		memcpy(seg[1].p, id, sizeof(id));
		written = sizeof(id);
		break;
	}
	default:
		st = SWIOTLB_VBLK_S_UNSUPP;
	}
	*status = st;
	return written + 1;
}

/* Drain one queue; returns false when the connection must end (fail_after). */
static bool process_queue(struct swiotlb_vblk_backend *be, struct be_conn *c, struct be_vq *vq)
{
	if (!vq->desc || !vq->enabled)
		return true;
	bool any = false;
	for (;;) {
		uint16_t avail_idx = le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
		if (avail_idx == vq->last_avail)
			break;
		if (be->o.fail_after && atomic_load(&be->requests) >= be->o.fail_after) {
			be_log(be, SWIOTLB_LOG_WARN, "builtin: failing on purpose after %llu requests",
			       (unsigned long long)be->o.fail_after);
			return false;
		}
		uint16_t head = le16toh(vq->avail->ring[vq->last_avail % vq->num]);
		vq->last_avail++;
		uint32_t len = run_request(be, c, vq, head);
		uint16_t ui = le16toh(vq->used->idx);
		vq->used->ring[ui % vq->num].id = htole32(head);
		vq->used->ring[ui % vq->num].len = htole32(len);
		__atomic_store_n(&vq->used->idx, htole16((uint16_t)(ui + 1)), __ATOMIC_RELEASE);
		any = true;
	}
	if (any && vq->call >= 0) { /* the used index store (release) precedes the signal */
		uint64_t one = 1;
		if (write(vq->call, &one, sizeof(one)) < 0 && errno != EAGAIN)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ messages */

static void build_config(struct swiotlb_vblk_backend *be, uint8_t cfg[60])
{
	memset(cfg, 0, 60);
	uint64_t cap = htole64(be->capacity / SWIOTLB_VBLK_SECTOR);
	uint32_t seg = htole32(be->o.seg_max), bsz = htole32(512);
	uint16_t nq = htole16((uint16_t)be->o.num_queues);
	memcpy(cfg + VBLK_CFG_CAPACITY, &cap, 8);
	memcpy(cfg + VBLK_CFG_SEG_MAX, &seg, 4);
	memcpy(cfg + VBLK_CFG_BLK_SIZE, &bsz, 4);
	memcpy(cfg + VBLK_CFG_NUM_QUEUES, &nq, 2);
}

static int reply(struct be_conn *c, struct vu_msg *m, uint32_t size)
{
	m->flags = (m->flags & VU_VERSION_MASK) | VU_FLAG_REPLY;
	m->size = size;
	return vu_send(c->sock, m, NULL, 0);
}

static bool vq_ok(struct be_conn *c, unsigned idx)
{
	(void)c;
	return idx < BE_MAX_QUEUES;
}

static int map_vq(struct be_conn *c, struct be_vq *vq)
{
	vq->desc = ua_to_ptr(c, vq->desc_ua, vring_desc_bytes(vq->num));
	vq->avail = ua_to_ptr(c, vq->avail_ua, vring_avail_bytes(vq->num));
	vq->used = ua_to_ptr(c, vq->used_ua, vring_used_bytes(vq->num));
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = NULL;
		return -EFAULT;
	}
	return 0;
}

/* Handle one message; negative: end the connection. */
static int handle(struct swiotlb_vblk_backend *be, struct be_conn *c, struct vu_msg *m, int *fds, int nfds)
{
	bool need_reply = m->flags & VU_FLAG_NEED_REPLY;
	uint64_t status = 0;
	int used_fds = 0;
	switch (m->request) {
	case VU_GET_FEATURES:
		m->payload.u64 = (1ull << VIRTIO_F_VERSION_1) | (1ull << VU_F_PROTOCOL_FEATURES) |
				 (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
				 (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_MQ) |
				 (be->o.read_only ? 1ull << VIRTIO_BLK_F_RO : 0);
		return reply(c, m, 8);
	case VU_GET_PROTOCOL_FEATURES:
		m->payload.u64 = (1ull << VU_PROTOCOL_F_MQ) | (1ull << VU_PROTOCOL_F_REPLY_ACK) |
				 (1ull << VU_PROTOCOL_F_CONFIG);
		return reply(c, m, 8);
	case VU_GET_QUEUE_NUM:
		m->payload.u64 = be->o.num_queues;
		return reply(c, m, 8);
	case VU_SET_FEATURES:
		c->features = m->payload.u64;
		break;
	case VU_SET_PROTOCOL_FEATURES:
		c->protocol = m->payload.u64;
		break;
	case VU_SET_OWNER:
	case VU_RESET_OWNER:
		break;
	case VU_GET_CONFIG: {
		uint8_t cfg[60];
		build_config(be, cfg);
		uint32_t off = m->payload.config.offset, sz = m->payload.config.size;
		if (m->size < 12 || off > sizeof(cfg) || sz > sizeof(cfg) - off || sz > VU_MAX_CONFIG)
			return reply(c, m, 0); /* a zero-length reply is the error */
		memcpy(m->payload.config.region, cfg + off, sz);
		return reply(c, m, 12 + sz);
	}
	case VU_SET_MEM_TABLE: {
		unmap_regions(c);
		uint32_t n = m->payload.memory.nregions;
		if (n > VU_MAX_REGIONS || (int)n != nfds) {
			status = 1;
			break;
		}
		for (uint32_t i = 0; i < n; i++) {
			struct vu_region *r = &m->payload.memory.regions[i];
			void *p = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], (off_t)r->mmap_offset);
			if (p == MAP_FAILED) {
				status = 1;
				break;
			}
			c->regions[c->nregions++] = (struct be_region){r->gpa, r->size, r->uaddr, p};
		}
		for (unsigned q = 0; q < BE_MAX_QUEUES; q++)
			if (c->vq[q].num && c->vq[q].desc_ua)
				map_vq(c, &c->vq[q]);
		break;
	}
	case VU_SET_VRING_NUM:
		if (!vq_ok(c, m->payload.state.index) || !m->payload.state.num || m->payload.state.num > 32768 ||
		    (m->payload.state.num & (m->payload.state.num - 1)))
			status = 1;
		else
			c->vq[m->payload.state.index].num = m->payload.state.num;
		break;
	case VU_SET_VRING_ADDR: {
		struct vu_vring_addr *a = &m->payload.addr;
		if (!vq_ok(c, a->index)) {
			status = 1;
			break;
		}
		struct be_vq *vq = &c->vq[a->index];
		vq->desc_ua = a->desc;
		vq->avail_ua = a->avail;
		vq->used_ua = a->used;
		if (map_vq(c, vq))
			status = 1;
		break;
	}
	case VU_SET_VRING_BASE:
		if (!vq_ok(c, m->payload.state.index))
			status = 1;
		else
			c->vq[m->payload.state.index].last_avail = (uint16_t)m->payload.state.num;
		break;
	case VU_GET_VRING_BASE: {
		unsigned i = m->payload.state.index;
		if (!vq_ok(c, i))
			return -EPROTO;
		struct be_vq *vq = &c->vq[i];
		if (vq->kick >= 0)
			close(vq->kick);
		vq->kick = -1;
		vq->enabled = false;
		m->payload.state.num = vq->last_avail;
		return reply(c, m, sizeof(struct vu_vring_state));
	}
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR: {
		unsigned i = (unsigned)(m->payload.u64 & 0xff);
		bool nofd = m->payload.u64 & VU_VRING_NOFD;
		if (!vq_ok(c, i) || (!nofd && nfds != 1)) {
			status = 1;
			break;
		}
		int fd = nofd ? -1 : fds[0];
		used_fds = nofd ? 0 : 1;
		struct be_vq *vq = &c->vq[i];
		if (m->request == VU_SET_VRING_ERR) {
			if (fd >= 0)
				close(fd);
		} else {
			int *slot = m->request == VU_SET_VRING_KICK ? &vq->kick : &vq->call;
			if (*slot >= 0)
				close(*slot);
			*slot = fd;
			if (m->request == VU_SET_VRING_KICK && !(c->features & (1ull << VU_F_PROTOCOL_FEATURES)))
				vq->enabled = true; /* without protocol features a ring starts enabled */
		}
		break;
	}
	case VU_SET_VRING_ENABLE:
		if (!vq_ok(c, m->payload.state.index))
			status = 1;
		else
			c->vq[m->payload.state.index].enabled = m->payload.state.num != 0;
		break;
	default:
		be_log(be, SWIOTLB_LOG_WARN, "builtin: unsupported request %u", m->request);
		status = 1;
	}
	for (int i = used_fds; i < nfds; i++) /* kept: a kick or call fd; the regions are mapped */
		close(fds[i]);
	if (need_reply && (c->protocol & (1ull << VU_PROTOCOL_F_REPLY_ACK))) {
		m->payload.u64 = status;
		return reply(c, m, 8);
	}
	return 0;
}

/* ------------------------------------------------------------ serving */

static bool stopping(struct swiotlb_vblk_backend *be)
{
	return be->stop_flag && *be->stop_flag;
}

/* Serve one connection until EOF, an error, fail_after or stop. */
static void serve_conn(struct swiotlb_vblk_backend *be, int sock)
{
	struct be_conn c;
	memset(&c, 0, sizeof(c));
	c.sock = -1;
	for (int q = 0; q < BE_MAX_QUEUES; q++)
		c.vq[q].kick = c.vq[q].call = -1;
	c.sock = sock;
	atomic_fetch_add(&be->connections, 1);
	for (;;) {
		struct pollfd p[BE_MAX_QUEUES + 2];
		int qmap[BE_MAX_QUEUES + 2];
		int np = 0;
		p[np] = (struct pollfd){c.sock, POLLIN, 0};
		qmap[np++] = -1;
		p[np] = (struct pollfd){be->stop_pipe[0], POLLIN, 0};
		qmap[np++] = -2;
		for (int q = 0; q < BE_MAX_QUEUES; q++)
			if (c.vq[q].kick >= 0) {
				p[np] = (struct pollfd){c.vq[q].kick, POLLIN, 0};
				qmap[np++] = q;
			}
		int rc = poll(p, (nfds_t)np, 250);
		if (stopping(be))
			break;
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			break;
		bool end = false;
		for (int i = 0; i < np && !end; i++) {
			if (!p[i].revents)
				continue;
			if (qmap[i] == -2) {
				end = true;
			} else if (qmap[i] == -1) {
				struct vu_msg m;
				int fds[VU_MAX_REGIONS], nfds = VU_MAX_REGIONS;
				if (vu_recv(c.sock, &m, fds, &nfds, 5000) || handle(be, &c, &m, fds, nfds) < 0)
					end = true;
			} else {
				uint64_t v;
				if (read(p[i].fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
					end = true;
				else if (!process_queue(be, &c, &c.vq[qmap[i]]))
					end = true;
			}
		}
		if (end)
			break;
	}
	reset_conn(&c); /* closes the socket */
}

static void serve_loop(struct swiotlb_vblk_backend *be)
{
	for (;;) {
		struct pollfd p[2] = {{be->listen_fd, POLLIN, 0}, {be->stop_pipe[0], POLLIN, 0}};
		int rc = poll(p, 2, 250);
		if (stopping(be) || (rc > 0 && p[1].revents))
			return;
		if (rc <= 0)
			continue;
		int s = accept4(be->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (s < 0)
			continue;
		serve_conn(be, s);
		if (be->o.once || stopping(be))
			return;
	}
}

static void *thread_main(void *arg)
{
	serve_loop(arg);
	return NULL;
}

static void destroy(struct swiotlb_vblk_backend *be)
{
	if (be->listen_fd >= 0)
		close(be->listen_fd);
	if (be->socket_path)
		unlink(be->socket_path);
	free(be->socket_path);
	for (int i = 0; i < 2; i++)
		if (be->stop_pipe[i] >= 0)
			close(be->stop_pipe[i]);
	if (be->image_fd >= 0)
		close(be->image_fd);
	if (be->mem)
		munmap(be->mem, be->capacity);
	free(be);
}

static int create(const struct swiotlb_vblk_backend_opts *o, struct swiotlb_vblk_backend **out)
{
	*out = NULL;
	if (!o || o->size != sizeof(*o) || !o->socket)
		return -EINVAL;
	struct swiotlb_vblk_backend *be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	be->o = *o;
	be->listen_fd = be->image_fd = -1;
	be->stop_pipe[0] = be->stop_pipe[1] = -1;
	if (!be->o.num_queues)
		be->o.num_queues = 4;
	if (be->o.num_queues > BE_MAX_QUEUES)
		be->o.num_queues = BE_MAX_QUEUES;
	if (!be->o.seg_max)
		be->o.seg_max = 128;
	be->o.image = NULL; /* not kept */
	be->socket_path = strdup(o->socket);
	int rc = 0;
	if (!be->socket_path || pipe2(be->stop_pipe, O_CLOEXEC)) {
		rc = -ENOMEM;
		goto fail;
	}
	if (o->image) {
		be->image_fd = open(o->image, (o->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		struct stat st;
		if (be->image_fd < 0 || fstat(be->image_fd, &st)) {
			rc = -errno;
			goto fail;
		}
		be->capacity = (uint64_t)st.st_size & ~(uint64_t)(SWIOTLB_VBLK_SECTOR - 1);
	} else {
		be->capacity = (o->mem_bytes ? o->mem_bytes : 64ull << 20) & ~(uint64_t)(SWIOTLB_VBLK_SECTOR - 1);
		void *p = mmap(NULL, be->capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		if (p == MAP_FAILED) {
			rc = -ENOMEM;
			goto fail;
		}
		be->mem = p;
	}
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(o->socket) >= sizeof(sa.sun_path)) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	strcpy(sa.sun_path, o->socket);
	unlink(o->socket);
	be->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (be->listen_fd < 0 || bind(be->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(be->listen_fd, 4)) {
		rc = -errno;
		goto fail;
	}
	*out = be;
	return 0;
fail:
	destroy(be);
	return rc;
}

int swiotlb_vblk_backend_start(const struct swiotlb_vblk_backend_opts *o, struct swiotlb_vblk_backend **out)
{
	struct swiotlb_vblk_backend *be;
	int rc = create(o, &be);
	if (rc)
		return rc;
	if (pthread_create(&be->thread, NULL, thread_main, be)) {
		destroy(be);
		return -EAGAIN;
	}
	be->threaded = true;
	*out = be;
	return 0;
}

void swiotlb_vblk_backend_stop(struct swiotlb_vblk_backend *be)
{
	if (!be)
		return;
	if (be->threaded) {
		char b = 1;
		if (write(be->stop_pipe[1], &b, 1) < 0) {
			/* the pipe is ours and empty: cannot fail */
		}
		pthread_join(be->thread, NULL);
	}
	destroy(be);
}

void swiotlb_vblk_backend_stats(struct swiotlb_vblk_backend *be, struct swiotlb_vblk_backend_stats *st)
{
	st->connections = atomic_load(&be->connections);
	st->requests = atomic_load(&be->requests);
	st->bytes_read = atomic_load(&be->bytes_read);
	st->bytes_written = atomic_load(&be->bytes_written);
	st->bad_addresses = atomic_load(&be->bad_addresses);
}

static volatile sig_atomic_t serve_stop;

static void on_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

int swiotlb_vblk_backend_serve(const struct swiotlb_vblk_backend_opts *o)
{
	struct swiotlb_vblk_backend *be;
	int rc = create(o, &be);
	if (rc)
		return rc;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	serve_stop = 0;
	be->stop_flag = &serve_stop;
	serve_loop(be);
	destroy(be);
	return 0;
}
