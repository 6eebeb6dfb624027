/* Taking typed values off a fuzzer's input: each getter consumes bytes
 * from the front and yields zeros once the input is used up, so every
 * input, however short, is a valid test case. */
#ifndef LKSTUB_FUZZ_INPUT_H
#define LKSTUB_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fin {
	const uint8_t *p;
	size_t left;
};

static inline void fin_init(struct fin *in, const uint8_t *data, size_t size)
{
	in->p = data;
	in->left = size;
}

static inline uint64_t fin_bytes(struct fin *in, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n && in->left; i++, in->p++, in->left--)
		v |= (uint64_t)in->p[0] << (8 * i);
	return v;
}

static inline uint8_t fin_u8(struct fin *in) { return (uint8_t)fin_bytes(in, 1); }
static inline uint16_t fin_u16(struct fin *in) { return (uint16_t)fin_bytes(in, 2); }
static inline uint32_t fin_u32(struct fin *in) { return (uint32_t)fin_bytes(in, 4); }
static inline uint64_t fin_u64(struct fin *in) { return fin_bytes(in, 8); }

/* Up to n bytes of the input (fewer when it runs out). */
static inline const uint8_t *fin_take(struct fin *in, size_t n, size_t *got)
{
	const uint8_t *p = in->p;
	*got = n < in->left ? n : in->left;
	in->p += *got;
	in->left -= *got;
	return p;
}

/* A failed check: say what and abort, so libFuzzer saves the input. */
#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: check failed: %s: ",        \
				__FILE__, __LINE__, #cond);                 \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
			abort();                                            \
		}                                                           \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
