/* x86_64 page-table walks over random guest memory (see fuzz_walk.h).
 * Arch word: bit 0 picks 5-level paging; flags bit 4 takes the level
 * count raw from the word's second byte instead (the walker must refuse
 * anything but 4 and 5). The page offset and direct-map size come from
 * the rest of the word. */
#include "tests/fuzz/fuzz_walk.h"

static void setup_x86_64(struct kernel_as *as, uint64_t word, uint8_t flags)
{
	as->levels = flags & 16 ? (unsigned)(word >> 8 & 0xff)
				: (word & 1 ? 5 : 4);
	as->page_offset = as->levels == 5 ? 0xff11000000000000ULL
					  : 0xffff888000000000ULL;
	as->direct_pa_base = 0;
	as->direct_size = (word >> 16) << 12;
}

static const uint64_t bases[4] = {
	0, 0xffff888000000000ULL, 0xffffffff80000000ULL,
	0xff11000000000000ULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return walk_fuzz(data, size, &arch_x86_64, setup_x86_64, bases);
}
