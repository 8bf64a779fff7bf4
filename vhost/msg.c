/* SPDX-License-Identifier: MIT */
/*
 * vhost-user message transport: one header (request, flags, size), the
 * payload, and file descriptors in SCM_RIGHTS ancillary data carried with
 * the header.  Every wait is a poll() with a timeout, every send uses
 * MSG_NOSIGNAL, so a vanished peer is an error code, never a signal or a
 * hang.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

int vu_send(int sock, const struct vu_msg *m, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MAX_REGIONS)];
		struct cmsghdr align;
	} u;
	size_t total = VU_HDR_SIZE + m->size;
	if (nfds < 0 || nfds > VU_MAX_REGIONS || m->size > sizeof(m->payload))
		return -EINVAL;
	char p[VU_HDR_SIZE + sizeof(m->payload)];
	memcpy(p, m, VU_HDR_SIZE);
	memcpy(p + VU_HDR_SIZE, &m->payload, m->size);
	size_t off = 0;
	while (off < total) {
		struct iovec iov = {p + off, total - off};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (off == 0 && nfds > 0) {
			memset(&u, 0, sizeof(u));
			mh.msg_control = u.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
		}
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = {sock, POLLOUT, 0};
				if (poll(&pfd, 1, 5000) <= 0)
					return -ETIMEDOUT;
				continue;
			}
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until sock is readable; 0, -ETIMEDOUT or -errno. */
static int wait_readable(int sock, long long deadline)
{
	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			long long d = deadline - now_ms();
			left = d < 0 ? 0 : (int)d;
		}
		struct pollfd pfd = {sock, POLLIN, 0};
		int rc = poll(&pfd, 1, left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		return 0; /* readable, or HUP/ERR: recvmsg reports which */
	}
}

static void close_fds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

/* Read exactly len bytes; the first read may carry fds. */
static int read_full(int sock, void *buf, size_t len, int *fds, int *nfds, long long deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MAX_REGIONS)];
		struct cmsghdr align;
	} u;
	size_t off = 0;
	while (off < len) {
		int rc = wait_readable(sock, deadline);
		if (rc)
			return rc;
		struct iovec iov = {(char *)buf + off, len - off};
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (fds) {
			mh.msg_control = u.buf;
			mh.msg_controllen = sizeof(u.buf);
		}
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET; /* EOF: the peer closed the connection */
		if (fds) {
			int got = 0;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
					continue;
				size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t i = 0; i < k; i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
					if (got < *nfds)
						fds[got++] = fd;
					else
						close(fd);
				}
			}
			*nfds = got;
			fds = NULL; /* fds come with the first bytes only */
		} else if (mh.msg_controllen) {
			close_fds(&mh);
		}
		off += (size_t)n;
	}
	return 0;
}

int vu_recv(int sock, struct vu_msg *m, int *fds, int *nfds, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int dummy = 0;
	if (!nfds)
		nfds = &dummy;
	int cap = *nfds;
	*nfds = cap;
	int rc = read_full(sock, m, VU_HDR_SIZE, cap ? fds : NULL, nfds, deadline);
	if (!cap)
		*nfds = 0;
	if (rc)
		goto fail;
	if (m->size > sizeof(m->payload)) {
		rc = -EPROTO;
		goto fail;
	}
	rc = read_full(sock, &m->payload, m->size, NULL, NULL, deadline);
	if (rc)
		goto fail;
	return 0;
fail:
	for (int i = 0; i < *nfds; i++)
		close(fds[i]);
	*nfds = 0;
	return rc;
}

bool vu_peer_gone(int sock)
{
	struct pollfd pfd = {sock, POLLRDHUP, 0};
	if (poll(&pfd, 1, 0) <= 0)
		return false;
	return (pfd.revents & (POLLHUP | POLLERR | POLLRDHUP)) != 0;
}

const char *vu_request_name(uint32_t req)
{
	switch (req) {
	case VU_GET_FEATURES: return "GET_FEATURES";
	case VU_SET_FEATURES: return "SET_FEATURES";
	case VU_SET_OWNER: return "SET_OWNER";
	case VU_RESET_OWNER: return "RESET_OWNER";
	case VU_SET_MEM_TABLE: return "SET_MEM_TABLE";
	case VU_SET_VRING_NUM: return "SET_VRING_NUM";
	case VU_SET_VRING_ADDR: return "SET_VRING_ADDR";
	case VU_SET_VRING_BASE: return "SET_VRING_BASE";
	case VU_GET_VRING_BASE: return "GET_VRING_BASE";
	case VU_SET_VRING_KICK: return "SET_VRING_KICK";
	case VU_SET_VRING_CALL: return "SET_VRING_CALL";
	case VU_SET_VRING_ERR: return "SET_VRING_ERR";
	case VU_GET_PROTOCOL_FEATURES: return "GET_PROTOCOL_FEATURES";
	case VU_SET_PROTOCOL_FEATURES: return "SET_PROTOCOL_FEATURES";
	case VU_GET_QUEUE_NUM: return "GET_QUEUE_NUM";
	case VU_SET_VRING_ENABLE: return "SET_VRING_ENABLE";
	case VU_GET_CONFIG: return "GET_CONFIG";
	case VU_SET_CONFIG: return "SET_CONFIG";
	default: return "UNKNOWN";
	}
}
