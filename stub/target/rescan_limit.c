#include "stub/target/rescan_limit.h"

bool rescan_limit_allow(const struct rescan_limit *l, uint64_t now_ns)
{
	return now_ns >= l->next_ns;
}

void rescan_limit_done(struct rescan_limit *l, uint64_t now_ns, bool found)
{
	uint64_t wait = l->wait_ns ? l->wait_ns : RESCAN_MIN_NS;
	if (found) {
		l->next_ns = now_ns + RESCAN_MIN_NS;
		l->wait_ns = 0;
	} else {
		l->next_ns = now_ns + wait;
		l->wait_ns = wait < RESCAN_MAX_NS / 2 ? 2 * wait : RESCAN_MAX_NS;
	}
	l->told = false;
}

void rescan_limit_settled(struct rescan_limit *l)
{
	l->wait_ns = 0;
}

bool rescan_limit_tell(struct rescan_limit *l, uint64_t now_ns,
		       unsigned *seconds)
{
	uint64_t left = l->next_ns > now_ns ? l->next_ns - now_ns : 0;
	*seconds = (unsigned)((left + NS_PER_S - 1) / NS_PER_S);
	if (l->told)
		return false;
	l->told = true;
	return true;
}
