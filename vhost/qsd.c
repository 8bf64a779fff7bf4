/* SPDX-License-Identifier: MIT */
/*
 * Starting and stopping qemu-storage-daemon, the real device: a raw image
 * exported as vhost-user-blk on a unix socket.  The daemon is a child of
 * ours, never daemonized, so a test can kill it and always reap it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "swiotlb/vhost_blk.h"

const char *swiotlb_vblk_qsd_path(void)
{
	static char found[4096];
	const char *env = getenv("SWIOTLB_QSD");
	if (env && *env)
		return access(env, X_OK) == 0 ? env : NULL;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		if (n && n + sizeof("/qemu-storage-daemon") < sizeof(found)) {
			memcpy(found, path, n);
			strcpy(found + n, "/qemu-storage-daemon");
			if (access(found, X_OK) == 0)
				return found;
		}
		path += n + (end ? 1 : 0);
	}
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

int swiotlb_vblk_qsd_spawn(const char *image, const char *socket, unsigned num_queues, const char *file_opts,
			   const char *logfile, pid_t *pid)
{
	const char *qsd = swiotlb_vblk_qsd_path();
	if (!qsd)
		return -ENOENT;
	if (!image || !socket || !pid || strchr(image, ',') || strchr(socket, ','))
		return -EINVAL; /* commas would split QEMU's option syntax */
	char blk_file[4200], export[4300];
	snprintf(blk_file, sizeof(blk_file), "driver=file,node-name=file0,filename=%s%s%s", image,
		 file_opts && *file_opts ? "," : "", file_opts ? file_opts : "");
	snprintf(export, sizeof(export),
		 "type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path=%s,writable=on,num-queues=%u",
		 socket, num_queues ? num_queues : 1);
	unlink(socket);
	pid_t child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		int fd = open(logfile ? logfile : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		execl(qsd, "qemu-storage-daemon", "--blockdev", blk_file, "--blockdev",
		      "driver=raw,node-name=disk0,file=file0", "--export", export, (char *)NULL);
		_exit(127);
	}
	/* ready when the socket exists (the daemon listens before it creates it) */
	for (int waited = 0; waited < 10000; waited += 10) {
		struct stat st;
		if (stat(socket, &st) == 0 && S_ISSOCK(st.st_mode)) {
			*pid = child;
			return 0;
		}
		int status;
		if (waitpid(child, &status, WNOHANG) == child)
			return -ECHILD; /* it exited: see the log */
		sleep_ms(10);
	}
	swiotlb_vblk_qsd_stop(child);
	return -ETIMEDOUT;
}

int swiotlb_vblk_qsd_stop(pid_t pid)
{
	if (pid <= 0)
		return -EINVAL;
	int status = 0;
	kill(pid, SIGTERM);
	for (int waited = 0; waited < 5000; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0)
			return -errno;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return status;
}
