/* SPDX-License-Identifier: MIT */
/*
 * Accounting: used counts and exact high-water marks (invariant I5).
 *
 * Used counts live in the areas (written under each area's lock), so the
 * hot path touches no counter another CPU writes; pool and instance counts
 * are sums taken on read.  The marks stay exact with ceilings: an area may
 * grow to its ceiling without telling anyone, because the ceilings plus the
 * banks sum to exactly the caps, and a mark is its cap.
 *
 * Slack -- ceiling above used -- is held only by listed areas.  An area
 * lists itself (on the instance's list, counted in the pool's and the
 * instance's nlisted) before it takes slack from the banks or a release
 * leaves it with some; it is unlisted only by the slow path, which hands
 * its slack back to the banks.  An area that released much more than it
 * uses gives the excess back by itself.  So at any instant at which no
 * area is listed, the slots in use are exactly cap - bank, and a cap is
 * raised from that without looking at a single other area.
 *
 * The slow path (tlb_alloc_slow) holds acct_lock.  Only its holder raises
 * a cap, resets a mark or unlists an area, so while it holds the lock the
 * listed counts only grow.  It runs the policy again with req->acct: the
 * policy takes one area lock at a time as always and, once its placement
 * is certain, borrows if it can, else raises (area_raise): takes both
 * banks whole and checks, after that, that no area but its own is listed
 * (its own slack it knows: it holds the lock).  Counts that did not grow
 * across the exchange were the same at it, so at that instant every other
 * area was tight and the totals were cap - bank; the new caps are those
 * totals plus the allocation: exactly the kernel's marks, in O(1).  If
 * another area is listed, the policy answers TLB_ECEILING, and the slow
 * path reclaims every listed area (one lock at a time, off the list it
 * takes whole), freezes listing so that nobody lists again behind it, and
 * retries.  Each reclaimed area was listed once by an allocation or a
 * release that paid for it, so the slow path is amortised O(1) whatever
 * the area count.
 *
 * A release that would leave an unlisted area with slack while listing is
 * frozen (or the mark was reset) puts it in the banks before it lowers the
 * used count: the release then happened at the bank update, as far as an
 * exchange can tell.
 *
 * Lock order: a thread holds at most one area lock, and never waits for
 * anything while holding one; acct_lock is taken holding none.  So nothing
 * can deadlock, and no code path holds more than one area lock at a time.
 *
 * Reset (the kernel's "write 0 to io_tlb_used_hiwater"): the marks read 0
 * and the next allocation in a pool sets its mark -- and the first
 * anywhere the instance's -- to the total after it.  Reset reclaims every
 * area and sets the reset flags, which stop listing and borrowing, so that
 * allocation comes here and finds the exact totals as above.
 */
#include "internal.h"

#ifdef SWIOTLB_DEBUG
void tlb_dbg_not_locked(const struct tlb_area *a, const char *where)
{
	tlb_log(a->pool->tlb, SWIOTLB_LOG_ERR, "swiotlb: %s: pool %s area %u used without its lock", where,
		a->pool->name, (unsigned)(a - a->pool->areas));
	__builtin_trap();
}
#endif

uint64_t tlb_pool_used(const struct tlb_pool *pool)
{
	uint64_t u = 0;
	for (uint32_t a = 0; a < pool->nareas; a++)
		u += tlb_area_used(&pool->areas[a]);
	return u;
}

uint64_t tlb_total_used(const struct swiotlb *tlb)
{
	uint64_t u = 0;
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	for (int i = 0; i < n; i++)
		u += tlb_pool_used(tlb->pools[i]);
	return u;
}

/* May an area list itself (and borrow) now?  `acct`: the caller holds
 * acct_lock, whose own freeze does not apply to it. */
static bool listing_allowed(const struct tlb_pool *pool, bool acct)
{
	const struct swiotlb *tlb = pool->tlb;
	return !atomic_load(&pool->reset) && !atomic_load(&tlb->reset) && (acct || !atomic_load(&tlb->frozen));
}

/* Under the area lock: list a, before it may hold slack.  The counts rise
 * after the push, so a count the slow path sees is on the list. */
static void area_list(struct tlb_pool *pool, struct tlb_area *a)
{
	struct swiotlb *tlb = pool->tlb;
	a->listed = true;
	struct tlb_area *head = atomic_load_explicit(&tlb->listed, memory_order_relaxed);
	do
		a->lnext = head;
	while (!atomic_compare_exchange_weak_explicit(&tlb->listed, &head, a, memory_order_release,
						      memory_order_relaxed));
	atomic_fetch_add(&pool->nlisted, 1);
	atomic_fetch_add(&tlb->nlisted, 1);
}

/* Take between lo and hi from a bank (all it has, up to hi), or 0. */
static uint64_t bank_take(atomic_uint_least64_t *bank, uint64_t lo, uint64_t hi)
{
	uint64_t cur = atomic_load_explicit(bank, memory_order_relaxed), t;
	do {
		if (cur < lo)
			return 0;
		t = cur < hi ? cur : hi;
	} while (!atomic_compare_exchange_weak_explicit(bank, &cur, cur - t, memory_order_relaxed,
							 memory_order_relaxed));
	return t;
}

/* Under the area lock: raise a's ceiling by at least `need` from the
 * banks, listing a first. */
static bool area_borrow(struct tlb_pool *pool, struct tlb_area *a, bool acct, uint64_t need)
{
	struct swiotlb *tlb = pool->tlb;
	TLB_ASSERT_LOCKED(a);
	/* after a reset the next allocation must set the mark: no borrowing */
	if (!listing_allowed(pool, acct))
		return false;
	if (!a->listed)
		area_list(pool, a);
	/* a batch beyond the need, so the next allocations stay on the fast path */
	uint64_t got = bank_take(&pool->bank, need, need + SWIOTLB_SEGSIZE);
	if (!got)
		return false;
	uint64_t got2 = bank_take(&tlb->bank, need, got);
	if (got2 < got)
		tlb_uadd(&pool->bank, got - got2);
	if (!got2)
		return false;
	a->ceiling += got2;
	return true;
}

void tlb_area_donate(struct tlb_pool *pool, struct tlb_area *a)
{
	TLB_ASSERT_LOCKED(a);
	uint64_t keep = tlb_area_used(a) + TLB_AREA_KEEP;
	uint64_t d = a->ceiling - keep;
	a->ceiling = keep;
	tlb_uadd(&pool->bank, d);
	tlb_uadd(&pool->tlb->bank, d);
}

void tlb_area_unuse_unlisted(struct tlb_pool *pool, struct tlb_area *a, uint64_t n)
{
	TLB_ASSERT_LOCKED(a);
	if (listing_allowed(pool, false)) {
		area_list(pool, a);
		tlb_uadd_locked(&a->used, -n);
		return;
	}
	/* the banks first: see the head of this file */
	tlb_uadd(&pool->bank, n);
	tlb_uadd(&pool->tlb->bank, n);
	tlb_uadd_locked(&a->used, -n);
	a->ceiling -= n;
}

/* One level (pool or instance) of a raise: `b` was its whole bank. */
static void raise_level(uint64_t *cap, atomic_uint_least64_t *hiwater, atomic_bool *reset,
			atomic_uint_least64_t *bank, uint64_t b, uint64_t need)
{
	if (b >= need && !atomic_load(reset)) {
		tlb_uadd(bank, b - need); /* enough slack after all: no new mark */
		return;
	}
	/* in use now: *cap - b - (the area's own slack); after the allocation,
	 * that plus n = *cap - b + need.  After a reset this may lower the cap:
	 * the mark is the total after this allocation, whatever came before. */
	*cap = *cap - b + need;
	atomic_store_explicit(hiwater, *cap, memory_order_relaxed);
	atomic_store(reset, false);
}

/*
 * acct_lock and the area lock held, the placement of n slots in a certain:
 * raise the caps (and end a reset) so that they may be charged.  False when
 * some other area may hold slack.
 */
static bool area_raise(struct tlb_pool *pool, struct tlb_area *a, uint64_t n)
{
	struct swiotlb *tlb = pool->tlb;
	TLB_ASSERT_LOCKED(a);
	uint64_t mine = a->listed;
	if (atomic_load(&pool->nlisted) != mine || atomic_load(&tlb->nlisted) != mine)
		return false;
	uint64_t bp = atomic_exchange(&pool->bank, 0), bt = atomic_exchange(&tlb->bank, 0);
	if (atomic_load(&pool->nlisted) != mine || atomic_load(&tlb->nlisted) != mine) {
		tlb_uadd(&pool->bank, bp);
		tlb_uadd(&tlb->bank, bt);
		return false;
	}
	uint64_t need = tlb_area_used(a) + n - a->ceiling;
	raise_level(&pool->cap, &pool->hiwater, &pool->reset, &pool->bank, bp, need);
	raise_level(&tlb->cap, &tlb->hiwater, &tlb->reset, &tlb->bank, bt, need);
	a->ceiling += need;
	return true;
}

bool tlb_area_charge_slow(struct tlb_pool *pool, struct tlb_area *a, bool acct, uint64_t n)
{
	return area_borrow(pool, a, acct, tlb_area_used(a) + n - a->ceiling) || (acct && area_raise(pool, a, n));
}

/* acct_lock held: unlist every area on the list, its slack to the banks. */
static void reclaim(struct swiotlb *tlb)
{
	struct tlb_area *a = atomic_exchange_explicit(&tlb->listed, (struct tlb_area *)0, memory_order_acquire);
	while (a) {
		/* read before unlisting: then a may list itself again */
		struct tlb_area *next = a->lnext;
		struct tlb_pool *p = a->pool;
		tlb_area_lock(p, a);
		uint64_t slack = a->ceiling - tlb_area_used(a);
		a->ceiling -= slack;
		tlb_uadd(&p->bank, slack);
		tlb_uadd(&tlb->bank, slack);
		a->listed = false;
		atomic_fetch_sub(&p->nlisted, 1);
		atomic_fetch_sub(&tlb->nlisted, 1);
		tlb_area_unlock(p, a);
		a = next;
	}
}

int tlb_alloc_slow(struct tlb_pool *pool, struct tlb_alloc_req *req, struct tlb_record *rec)
{
	struct swiotlb *tlb = pool->tlb;
	int rc;
	tlb_spin_lock(&tlb->acct_lock);
	req->acct = true;
	/* another area may hold slack: take it all back and try again.  Frozen,
	 * only areas that were listing themselves as it froze can list again,
	 * so this ends */
	while ((rc = pool->ops->alloc(pool, req, rec)) == TLB_ECEILING) {
		atomic_store(&tlb->frozen, true);
		reclaim(tlb);
	}
	atomic_store(&tlb->frozen, false);
	req->acct = false;
	tlb_spin_unlock(&tlb->acct_lock);
	return rc;
}

void tlb_hiwater_reset(struct swiotlb *tlb)
{
	tlb_spin_lock(&tlb->acct_lock);
	atomic_store(&tlb->reset, true);
	atomic_store_explicit(&tlb->hiwater, 0, memory_order_relaxed);
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	for (int i = 0; i < n; i++) {
		atomic_store(&tlb->pools[i]->reset, true);
		atomic_store_explicit(&tlb->pools[i]->hiwater, 0, memory_order_relaxed);
	}
	/* nobody lists now; wait out those that were listing as the flags rose */
	while (atomic_load(&tlb->nlisted))
		reclaim(tlb);
	tlb_spin_unlock(&tlb->acct_lock);
}

#define ACCT_FAIL(...)                               \
	do {                                         \
		tlb_snprintf(why, len, __VA_ARGS__); \
		rc = SWIOTLB_EINVAL;                 \
		goto out;                            \
	} while (0)

/* The pool's part of I5; adds its ceilings and listed areas to the sums. */
static int check_pool(struct tlb_pool *p, char *why, size_t len, uint64_t *ceilings, uint64_t *listed)
{
	uint64_t ceil = 0, nl = 0;
	int rc = 0;
	for (uint32_t a = 0; a < p->nareas; a++) {
		struct tlb_area *ar = &p->areas[a];
		tlb_area_lock(p, ar);
		uint64_t u = tlb_area_used(ar), c = ar->ceiling, maps = tlb_uload(&ar->maps),
			 unmaps = tlb_uload(&ar->unmaps);
		bool l = ar->listed;
		tlb_area_unlock(p, ar);
		if (unmaps > maps)
			ACCT_FAIL("pool %s area %u: %llu unmaps but only %llu maps", p->name, a, (unsigned long long)unmaps,
				  (unsigned long long)maps);
		if (u > c)
			ACCT_FAIL("pool %s area %u: %llu slots used, above its hiwater ceiling %llu", p->name, a,
				  (unsigned long long)u, (unsigned long long)c);
		if (!l && c != u)
			ACCT_FAIL("pool %s area %u: not listed, but its ceiling %llu is above its %llu used slots", p->name,
				  a, (unsigned long long)c, (unsigned long long)u);
		ceil += c;
		nl += l;
	}
	uint64_t bank = tlb_uload(&p->bank), hw = tlb_uload(&p->hiwater);
	if (tlb_uload(&p->nlisted) != nl)
		ACCT_FAIL("pool %s: %llu areas listed, counted %llu", p->name, (unsigned long long)nl,
			  (unsigned long long)tlb_uload(&p->nlisted));
	if (ceil + bank != p->cap)
		ACCT_FAIL("pool %s: ceilings %llu and bank %llu do not sum to its cap %llu", p->name,
			  (unsigned long long)ceil, (unsigned long long)bank, (unsigned long long)p->cap);
	if (hw != (atomic_load(&p->reset) ? 0 : p->cap))
		ACCT_FAIL("pool %s: hiwater %llu, cap %llu%s", p->name, (unsigned long long)hw, (unsigned long long)p->cap,
			  atomic_load(&p->reset) ? " (reset)" : "");
	*ceilings += ceil;
	*listed += nl;
out:
	return rc;
}

int tlb_check_accounting(struct swiotlb *tlb, char *why, size_t len)
{
	int rc = 0;
	uint64_t ceil = 0, nl = 0, onlist = 0;
	tlb_spin_lock(&tlb->acct_lock);
	int n = atomic_load_explicit(&tlb->npools, memory_order_acquire);
	for (int i = 0; i < n && !rc; i++)
		rc = check_pool(tlb->pools[i], why, len, &ceil, &nl);
	if (rc)
		goto out;
	for (struct tlb_area *a = atomic_load(&tlb->listed); a && onlist <= nl; a = a->lnext)
		onlist++;
	if (onlist != nl || tlb_uload(&tlb->nlisted) != nl)
		ACCT_FAIL("%llu areas listed, %llu on the list, counted %llu", (unsigned long long)nl,
			  (unsigned long long)onlist, (unsigned long long)tlb_uload(&tlb->nlisted));
	if (ceil + tlb_uload(&tlb->bank) != tlb->cap)
		ACCT_FAIL("ceilings %llu and the instance's bank %llu do not sum to its cap %llu", (unsigned long long)ceil,
			  (unsigned long long)tlb_uload(&tlb->bank), (unsigned long long)tlb->cap);
	if (tlb_uload(&tlb->hiwater) != (atomic_load(&tlb->reset) ? 0 : tlb->cap))
		ACCT_FAIL("instance hiwater %llu, cap %llu%s", (unsigned long long)tlb_uload(&tlb->hiwater),
			  (unsigned long long)tlb->cap, atomic_load(&tlb->reset) ? " (reset)" : "");
out:
	tlb_spin_unlock(&tlb->acct_lock);
	return rc;
}
