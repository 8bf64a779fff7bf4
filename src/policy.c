/* SPDX-License-Identifier: MIT */
/* The registry of placement policies, selectable per pool by name. */
#include "internal.h"

static const struct tlb_policy_ops *const policies[] = {
	&tlb_policy_fast,  /* the default */
	&tlb_policy_linux, /* the kernel's slot search, for fidelity and comparison */
};

const char *tlb_policy_default_name(void)
{
	return policies[0]->name;
}

const struct tlb_policy_ops *tlb_policy_find(const char *name)
{
	if (!name || !*name)
		name = tlb_policy_default_name();
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (!tlb_strcmp(policies[i]->name, name))
			return policies[i];
	return (const struct tlb_policy_ops *)0;
}

const char *swiotlb_policy_name(int i)
{
	if (i < 0 || (unsigned)i >= sizeof(policies) / sizeof(policies[0]))
		return (const char *)0;
	return policies[i]->name;
}
