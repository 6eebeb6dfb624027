/* aarch64 (TTBR1) page-table walks over random guest memory (see
 * fuzz_walk.h). Arch word: with flags bit 4 it is a TCR_EL1 value for
 * aarch64_paging_from_tcr (as lkstub takes from the guest); otherwise
 * byte 0 is the VA width (25 + n % 28), byte 1 the granule (4K, 16K,
 * 64K) and bit 16 52-bit PAs, for aarch64_paging_setup. Refused setups
 * leave the walker unconfigured, which it must refuse. */
#include "tests/fuzz/fuzz_walk.h"

static void setup_aarch64(struct kernel_as *as, uint64_t word, uint8_t flags)
{
	static const unsigned shifts[] = { 12, 14, 16, 12 };
	char err[ERR_LEN];
	if (flags & 16) {
		(void)aarch64_paging_from_tcr(as, word, err);
	} else {
		unsigned va_bits = 25 + (unsigned)(word & 0xff) % 28;
		(void)aarch64_paging_setup(as, va_bits,
					   shifts[(word >> 8) & 3],
					   (word >> 16) & 1, err);
	}
	as->page_offset = as->va_bits ? 0 - (1ULL << as->va_bits) : 0;
	as->direct_size = (word >> 24) << 12;
}

static const uint64_t bases[4] = {
	0xffff000000000000ULL, 0xfff0000000000000ULL, 0xffffff8000000000ULL,
	0,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return walk_fuzz(data, size, &arch_aarch64, setup_aarch64, bases);
}
