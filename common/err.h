/* One error convention for the whole program: functions that can fail take
 * `char *err` (ERR_LEN bytes), fill it with a sentence and return -1. */
#ifndef LKSTUB_ERR_H
#define LKSTUB_ERR_H

#include <stdarg.h>
#include <stdio.h>

#define ERR_LEN 256

__attribute__((format(printf, 2, 3)))
static inline int set_err(char *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, ERR_LEN, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#endif
