/* SPDX-License-Identifier: MIT */
/*
 * Messages.  Lines are formatted here (the platform's log callback receives
 * finished text) with the kernel's prefixes: "software IO TLB: " for pool
 * messages, "<device>: " for per-mapping ones.  Per-mapping warnings are
 * rate-limited like the kernel's dev_warn_ratelimited (at most 10 lines per
 * 5 s, then one "callbacks suppressed" line) or printed once per instance.
 */
#include "internal.h"

#define TLB_RL_INTERVAL_NS (5ull * 1000 * 1000 * 1000)
#define TLB_RL_BURST 10
#define TLB_LINE_MAX 512

void tlb_spin_lock(struct tlb_spinlock *l)
{
	for (;;) {
		if (!atomic_exchange_explicit(&l->held, 1, memory_order_acquire))
			return;
		while (atomic_load_explicit(&l->held, memory_order_relaxed))
			;
	}
}

void tlb_spin_unlock(struct tlb_spinlock *l)
{
	atomic_store_explicit(&l->held, 0, memory_order_release);
}

void tlb_lock(struct swiotlb *tlb, void *lock)
{
	if (tlb->plat.lock)
		tlb->plat.lock(tlb->plat.ctx, lock);
	else
		tlb_spin_lock(lock);
}

void tlb_unlock(struct swiotlb *tlb, void *lock)
{
	if (tlb->plat.unlock)
		tlb->plat.unlock(tlb->plat.ctx, lock);
	else
		tlb_spin_unlock(lock);
}

static void vlog(struct swiotlb *tlb, enum swiotlb_log_level lvl, const char *prefix, const char *fmt,
		 va_list ap)
{
	char line[TLB_LINE_MAX];
	if (!tlb->plat.log)
		return;
	size_t p = (size_t)tlb_snprintf(line, sizeof(line), "%s", prefix);
	if (p < sizeof(line))
		tlb_vsnprintf(line + p, sizeof(line) - p, fmt, ap);
	tlb->plat.log(tlb->plat.ctx, lvl, line);
}

void tlb_log(struct swiotlb *tlb, enum swiotlb_log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(tlb, lvl, "software IO TLB: ", fmt, ap);
	va_end(ap);
}

void tlb_emit(swiotlb_log_fn fn, void *arg, enum swiotlb_log_level lvl, const char *fmt, ...)
{
	char line[TLB_LINE_MAX];
	va_list ap;
	if (!fn)
		return;
	va_start(ap, fmt);
	tlb_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(arg, lvl, line);
}

static void dev_prefix(char *buf, size_t n, const struct swiotlb_device *dev)
{
	tlb_snprintf(buf, n, "%s: ", dev && dev->name ? dev->name : "(device)");
}

/* true when this message may be printed now */
static bool ratelimit_ok(struct swiotlb *tlb, unsigned *suppressed)
{
	struct tlb_ratelimit *rl = &tlb->rl;
	bool ok;
	*suppressed = 0;
	if (!tlb->plat.now_ns)
		return true;
	uint64_t now = tlb->plat.now_ns(tlb->plat.ctx);
	tlb_spin_lock(&rl->lock);
	if (!rl->begin_ns || now - rl->begin_ns >= TLB_RL_INTERVAL_NS) {
		*suppressed = rl->missed;
		rl->begin_ns = now ? now : 1;
		rl->printed = 0;
		rl->missed = 0;
	}
	ok = rl->printed < TLB_RL_BURST;
	if (ok)
		rl->printed++;
	else
		rl->missed++;
	tlb_spin_unlock(&rl->lock);
	return ok;
}

void tlb_dev_warn_ratelimited(struct swiotlb *tlb, const struct swiotlb_device *dev, const char *fmt, ...)
{
	char prefix[64];
	unsigned suppressed;
	va_list ap;
	if (!tlb->plat.log || !ratelimit_ok(tlb, &suppressed))
		return;
	if (suppressed) {
		char line[96];
		tlb_snprintf(line, sizeof(line), "swiotlb: %u callbacks suppressed", suppressed);
		tlb->plat.log(tlb->plat.ctx, SWIOTLB_LOG_WARN, line);
	}
	dev_prefix(prefix, sizeof(prefix), dev);
	va_start(ap, fmt);
	vlog(tlb, SWIOTLB_LOG_WARN, prefix, fmt, ap);
	va_end(ap);
}

void tlb_dev_warn_once(struct swiotlb *tlb, unsigned bit, const struct swiotlb_device *dev, const char *fmt, ...)
{
	char prefix[64];
	va_list ap;
	if (atomic_fetch_or(&tlb->warned, bit) & bit)
		return;
	if (dev)
		dev_prefix(prefix, sizeof(prefix), dev);
	else
		tlb_strlcpy(prefix, "software IO TLB: ", sizeof(prefix));
	va_start(ap, fmt);
	vlog(tlb, SWIOTLB_LOG_WARN, prefix, fmt, ap);
	va_end(ap);
}
