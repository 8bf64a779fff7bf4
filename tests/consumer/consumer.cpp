// SPDX-License-Identifier: MIT
// The C++ side of the consumer test: the public headers compile as C++ and
// link with C linkage; a scatter-gather list in a std::vector is bounced.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <swiotlb/posix.h>
#include <swiotlb/swiotlb.h>

static int fail(const std::string &what)
{
	std::fprintf(stderr, "consumer (C++): %s\n", what.c_str());
	return 1;
}

int main()
{
	swiotlb_posix *px = nullptr;
	swiotlb_platform plat{};
	swiotlb_config cfg{};
	swiotlb *tlb = nullptr;
	swiotlb_device dev{};

	if (swiotlb_posix_create(nullptr, &px) != 0)
		return fail("swiotlb_posix_create");
	swiotlb_posix_platform(px, &plat);
	swiotlb_config_init(&cfg);
	cfg.force = true;
	if (int rc = swiotlb_create(&cfg, &plat, &tlb))
		return fail(std::string("swiotlb_create: ") + swiotlb_errname(rc));

	std::vector<swiotlb_sg> sg(3);
	for (size_t i = 0; i < sg.size(); i++) {
		uint64_t phys = 0;
		if (swiotlb_posix_alloc(px, 4096, 4096, 0, UINT64_MAX, &phys) != 0)
			return fail("no memory for the buffers");
		std::memset(swiotlb_posix_ptr(px, phys, 4096), int(0x10 + i), 4096);
		sg[i].phys = phys;
		sg[i].length = 1024u << i;
	}
	swiotlb_device_init(&dev, "consumer++", swiotlb_bit_mask(32));
	int n = swiotlb_map_sg(tlb, &dev, sg.data(), int(sg.size()), SWIOTLB_TO_DEVICE, 0);
	if (n != int(sg.size()))
		return fail(std::string("swiotlb_map_sg: ") + swiotlb_errname(n));
	for (size_t i = 0; i < sg.size(); i++) {
		auto *b = static_cast<unsigned char *>(swiotlb_posix_ptr(px, sg[i].dma, sg[i].length));
		if (!swiotlb_is_bounce(tlb, sg[i].dma) || b[0] != 0x10 + i || b[sg[i].length - 1] != 0x10 + i)
			return fail("entry " + std::to_string(i) + " was not bounced with its bytes");
	}
	if (swiotlb_unmap_sg(tlb, &dev, sg.data(), int(sg.size()), SWIOTLB_TO_DEVICE, 0) < 0)
		return fail("swiotlb_unmap_sg");
	swiotlb_stats st{};
	if (swiotlb_get_stats(tlb, -1, &st) != 0 || st.used != 0 || st.maps != sg.size())
		return fail("statistics after unmap_sg");
	swiotlb_destroy(tlb);
	swiotlb_posix_destroy(px);
	std::printf("consumer (C++): %zu entries bounced and released\n", sg.size());
	return 0;
}
