/* Whole client sessions: the input is the byte stream a client sends,
 * cut into reads, decoded by rsp_decoder_feed and answered by
 * rsp_session_event against the fake target, as server.c does. Checks
 * that every reply is well framed, within its size, and that the output
 * queue never outgrows its cap.
 *
 * Input: one flags byte, then the stream.
 *   bits 0-5: read size (0: whole input at once, else 1..63 bytes x 97)
 *   bit 6:    the target allows writes
 *   bit 7:    a minimal target (no optional operations at all) */
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_rsp.h"

#include "stub/rsp/rsp_session.h"
#include "stub/rsp/server.h"
#include "tests/unit/fake_target.h"

static const struct target_ops minimal_ops = {
	.read_mem = fake_read,
};

static struct fake fake, pristine;
static bool have_pristine;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	uint8_t flags = data[0];
	data++, size--;
	size_t chunk = flags & 63 ? (size_t)(flags & 63) * 97 : size;

	if (!have_pristine) {
		fake_init(&pristine);
		have_pristine = true;
	}
	memcpy(&fake, &pristine, sizeof(fake)); /* undo M/X writes */
	fake.writable = flags & 64;
	struct target t = { flags & 128 ? &minimal_ops : &fake_ops, &fake };
	char err[ERR_LEN];
	struct rsp_decoder dec;
	struct rsp_threads listings;
	struct rsp_session sess;
	rsp_threads_init(&listings);
	FUZZ_CHECK(rsp_decoder_init(&dec, err) == 0, "%s", err);
	FUZZ_CHECK(rsp_session_init(&sess, &t, &listings, err) == 0, "%s",
		   err);
	struct strbuf out;
	strbuf_init(&out, SERVER_OUT_MAX);

	bool alive = true;
	for (size_t at = 0; alive && at < size;) {
		size_t n = size - at < chunk ? size - at : chunk;
		const char *in = (const char *)data + at;
		at += n;
		strbuf_reset(&out); /* the previous read's replies were sent */
		size_t used = 0;
		while (alive && used < n) {
			enum rsp_event ev;
			size_t before = out.len;
			size_t k = rsp_decoder_feed(&dec, in + used, n - used,
						    &ev);
			FUZZ_CHECK(k > 0 && k <= n - used, "feed used %zu", k);
			used += k;
			FUZZ_CHECK(dec.len <= RSP_PACKET_SIZE, "decoded %zu",
				   dec.len);
			if (ev == RSP_EV_NONE)
				continue;
			alive = rsp_session_event(&sess, ev, dec.buf, dec.len,
						  &out);
			/* As server.c: a long request's slices, then on. */
			for (unsigned sl = 0; alive && rsp_session_busy(&sess);
			     sl++) {
				FUZZ_CHECK(sl < (1u << 16), "%u slices", sl);
				alive = rsp_session_resume(&sess, &out);
			}
			rsp_decoder_trim(&dec, 4096);
			FUZZ_CHECK(out.len <= out.max, "queue %zu", out.len);
			FUZZ_CHECK(alive || sess.closing || out.overflow,
				   "session ended without a reason");
			if (!out.overflow)
				check_frames(out.buf ? out.buf : "", before,
					     out.len, NULL, NULL);
			FUZZ_CHECK(sess.last.len <= RSP_PACKET_SIZE + 16,
				   "kept %zu bytes to resend", sess.last.len);
			FUZZ_CHECK(!sess.listing ||
					   sess.listing->n <= RSP_MAX_THREADS,
				   "%u threads listed", sess.listing->n);
		}
	}

	strbuf_free(&out);
	rsp_session_free(&sess);
	rsp_threads_free(&listings);
	rsp_decoder_free(&dec);
	return 0;
}
