#include "symbols/kernel_list.h"

bool klist_read_ptr(const struct kernel_as *as, uint64_t va, uint64_t *p)
{
	return kva_read(as, va, p, 8) == 8 && !(*p & 7);
}

const char *klist_walk(const struct kernel_as *as, uint64_t head,
		       size_t *budget, klist_visit visit, void *arg)
{
	uint64_t node;
	if (!klist_read_ptr(as, head, &node))
		return "list head unreadable";
	/* Brent's cycle detection: a loop that never comes back to the
	 * head (a corrupted link) ends after about twice its length, not
	 * after the whole budget. */
	uint64_t saved = node, power = 1, steps = 0;
	while (node != head) {
		if (*budget == 0)
			return "list longer than the bound";
		(*budget)--;
		if (!visit(arg, node))
			return "an entry could not be read";
		if (!klist_read_ptr(as, node, &node))
			return "a list link is unreadable or misaligned";
		if (node == saved)
			return "the list loops without coming back to its head";
		if (++steps == power) {
			saved = node;
			power *= 2;
			steps = 0;
		}
	}
	return NULL;
}
