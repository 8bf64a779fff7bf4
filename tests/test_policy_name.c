/* SPDX-License-Identifier: MIT */
/*
 * swiotlb_policy_name(): the list of placement policies a program may offer
 * and check names against.  Every name it gives is one swiotlb_create and
 * swiotlb_pool_add accept, index 0 is the default an empty name selects, and
 * the list ends with NULL (also for a negative index).
 */
#include "testlib.h"

int main(void)
{
	struct swiotlb_posix *px;
	struct swiotlb_platform plat;
	struct swiotlb_posix_opts po;
	memset(&po, 0, sizeof(po));
	REQUIRE(swiotlb_posix_create(&po, &px) == 0);
	swiotlb_posix_platform(px, &plat);

	CHECK(swiotlb_policy_name(-1) == NULL);
	CHECK(swiotlb_policy_name(-1000) == NULL);
	int n = 0;
	bool linux_seen = false;
	while (swiotlb_policy_name(n)) {
		const char *name = swiotlb_policy_name(n);
		CHECK(strlen(name) > 0 && strlen(name) < SWIOTLB_POLICY_NAME_MAX);
		linux_seen |= !strcmp(name, "linux");
		for (int k = 0; k < n; k++)
			CHECK(strcmp(swiotlb_policy_name(k), name) != 0); /* each once */
		/* the name selects that policy for the instance and for a pool */
		struct swiotlb_config cfg;
		struct swiotlb *tlb;
		struct swiotlb_pool_info pi;
		swiotlb_config_init(&cfg);
		cfg.pools[0].nslabs = 128;
		strcpy(cfg.policy, name);
		CHECK(swiotlb_create(&cfg, &plat, &tlb) == 0);
		CHECK(swiotlb_pool_info(tlb, 0, &pi) == 0);
		CHECK_STR(pi.policy, name);
		swiotlb_destroy(tlb);
		n++;
		REQUIRE(n < 1000);
	}
	CHECK(n >= 2);
	CHECK(linux_seen); /* the kernel's search is always there: replay relies on it */
	CHECK(swiotlb_policy_name(n + 1) == NULL);

	/* index 0 is the default: what an empty name gives */
	struct swiotlb_config cfg;
	struct swiotlb *tlb;
	struct swiotlb_pool_info pi;
	swiotlb_config_init(&cfg);
	cfg.pools[0].nslabs = 128;
	cfg.policy[0] = '\0';
	REQUIRE(swiotlb_create(&cfg, &plat, &tlb) == 0);
	CHECK(swiotlb_pool_info(tlb, 0, &pi) == 0);
	CHECK_STR(pi.policy, swiotlb_policy_name(0));
	swiotlb_destroy(tlb);

	/* a name not on the list is refused */
	swiotlb_config_init(&cfg);
	strcpy(cfg.policy, "nosuch");
	CHECK(swiotlb_create(&cfg, &plat, &tlb) != 0);

	swiotlb_posix_destroy(px);
	return check_done("test_policy_name");
}
