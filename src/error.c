/* SPDX-License-Identifier: MIT */
/* Error names and descriptions, and the run-time version. */
#include "internal.h"

static const struct {
	int code;
	const char *name, *text;
} errors[] = {
	{ SWIOTLB_OK, "ok", "success" },
	{ SWIOTLB_EINVAL, "invalid", "invalid argument" },
	{ SWIOTLB_EFULL, "full", "no free run of slots large enough (pool full or fragmented)" },
	{ SWIOTLB_ETOOLARGE, "too_large", "request can never fit in a pool the device can reach" },
	{ SWIOTLB_EUNREACHABLE, "unreachable", "the device can reach neither the buffer nor any pool" },
	{ SWIOTLB_ENOTMAPPED, "not_mapped", "address is not a live mapping of this size and device" },
	{ SWIOTLB_ERANGE, "range", "range lies outside the mapping" },
	{ SWIOTLB_EBADCONFIG, "bad_config", "malformed configuration" },
	{ SWIOTLB_ENOMEM, "nomem", "the platform could not provide memory" },
	{ SWIOTLB_EPLATFORM, "platform", "a platform operation failed" },
	{ SWIOTLB_ENOPOOL, "no_pool", "bouncing is needed but no bounce pool exists" },
};

const char *swiotlb_strerror(int err)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == err)
			return errors[i].text;
	return "unknown error";
}

const char *swiotlb_errname(int err)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].code == err)
			return errors[i].name;
	return "unknown";
}

unsigned swiotlb_version(void)
{
	return SWIOTLB_VERSION;
}
