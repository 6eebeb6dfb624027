/* The register tables of stub/target/gdb_arch_*.c against the target
 * description each serves as target.xml: gdb numbers the registers of the
 * XML in document order (or from a regnum attribute on), and lkstub's `g`
 * and `p` replies are laid out by the table, so register n of the XML must
 * be table entry n, with the same name and size.
 *
 * The XML is read by a small parser of its own here (comments skipped,
 * attributes in any order, either quote); an <xi:include> fails the test:
 * lkstub serves no document but target.xml, so gdb could not fetch it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stub/target/gdb_arch.h"

#define MAX_XML_REGS 256
#define WHY_LEN 256

struct xml_reg {
	char name[64];
	long bitsize;
	long regnum;
};

/* The value of attribute attr in the tag text [tag, end), into out. */
static int attr(const char *tag, const char *end, const char *attr_name,
		char *out, size_t cap)
{
	size_t n = strlen(attr_name);
	for (const char *p = tag + 1; p + n + 2 < end; p++) {
		if ((p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n') ||
		    strncmp(p, attr_name, n) || p[n] != '=' ||
		    (p[n + 1] != '"' && p[n + 1] != '\''))
			continue;
		char q = p[n + 1];
		const char *v = p + n + 2, *ve = memchr(v, q, (size_t)(end - v));
		if (!ve || (size_t)(ve - v) >= cap)
			return -1;
		memcpy(out, v, (size_t)(ve - v));
		out[ve - v] = '\0';
		return 0;
	}
	return -1;
}

static int num(const char *s, long *v)
{
	char *e;
	*v = strtol(s, &e, 10);
	return *s && !*e && *v >= 0 ? 0 : -1;
}

/* Every <reg> of the document, numbered as gdb numbers them. Returns how
 * many, or -1 with why. */
static int parse_regs(const char *xml, struct xml_reg *out, char *why)
{
	int n = 0;
	long next = 0;
	int features_open = 0;
	for (const char *p = xml; (p = strchr(p, '<'));) {
		if (!strncmp(p, "<!--", 4)) {
			const char *e = strstr(p, "-->");
			if (!e)
				return snprintf(why, WHY_LEN, "unclosed comment"),
				       -1;
			p = e + 3;
			continue;
		}
		const char *end = strchr(p, '>');
		if (!end)
			return snprintf(why, WHY_LEN, "unclosed tag"), -1;
		if (!strncmp(p, "<xi:include", 11))
			return snprintf(why, WHY_LEN, "%.*s: lkstub serves "
					"only target.xml", (int)(end - p + 1),
					p),
			       -1;
		if (!strncmp(p, "<feature", 8) && end[-1] != '/')
			features_open++;
		if (!strncmp(p, "</feature>", 10))
			features_open--;
		if (!strncmp(p, "<reg", 4) && strchr(" \t\n", p[4])) {
			char v[64];
			struct xml_reg *r = &out[n];
			if (n == MAX_XML_REGS)
				return snprintf(why, WHY_LEN, "too many regs"),
				       -1;
			if (attr(p, end, "name", r->name, sizeof(r->name)))
				return snprintf(why, WHY_LEN, "reg %d: no name",
						n),
				       -1;
			if (attr(p, end, "bitsize", v, sizeof(v)) ||
			    num(v, &r->bitsize))
				return snprintf(why, WHY_LEN, "reg %s: bad "
						"bitsize", r->name),
				       -1;
			if (!attr(p, end, "regnum", v, sizeof(v))) {
				if (num(v, &next))
					return snprintf(why, WHY_LEN, "reg %s: "
							"bad regnum", r->name),
					       -1;
			}
			r->regnum = next++;
			n++;
		}
		p = end + 1;
	}
	if (features_open)
		return snprintf(why, WHY_LEN, "%d <feature> not closed",
				features_open),
		       -1;
	if (!strstr(xml, "</target>"))
		return snprintf(why, WHY_LEN, "no </target>"), -1;
	return n;
}

/* 0 when the XML's registers are exactly regs[0..nr) by number, name and
 * size; else -1 with the first difference in why. */
static int compare(const char *xml, const struct gdb_reg *regs, unsigned nr,
		   char *why)
{
	static struct xml_reg x[MAX_XML_REGS];
	int n = parse_regs(xml, x, why);
	if (n < 0)
		return -1;
	bool seen[MAX_XML_REGS] = { false };
	for (int i = 0; i < n; i++) {
		long k = x[i].regnum;
		if (k >= (long)nr)
			return snprintf(why, WHY_LEN, "XML reg %.63s is number %ld;"
					" the table has %u", x[i].name, k, nr),
			       -1;
		if (seen[k])
			return snprintf(why, WHY_LEN, "number %ld twice (%.63s)",
					k, x[i].name),
			       -1;
		seen[k] = true;
		if (strcmp(regs[k].name, x[i].name))
			return snprintf(why, WHY_LEN, "number %ld: XML %.63s, "
					"table %.63s", k, x[i].name,
					regs[k].name),
			       -1;
		if ((long)regs[k].bits != x[i].bitsize)
			return snprintf(why, WHY_LEN, "%.63s: XML %ld bits, table "
					"%u", x[i].name, x[i].bitsize,
					regs[k].bits),
			       -1;
	}
	for (unsigned k = 0; k < nr; k++)
		if (!seen[k])
			return snprintf(why, WHY_LEN, "table entry %u (%.63s) is "
					"not in the XML", k, regs[k].name),
			       -1;
	return 0;
}

static void check_arch(const struct gdb_arch *ga, const char *pc_name)
{
	char why[WHY_LEN] = "";
	assert_non_null(ga->target_xml);
	if (compare(ga->target_xml, ga->regs, ga->nr_regs, why))
		fail_msg("%s: %s", ga->name, why);
	assert_true(ga->pc_regnum < ga->nr_regs);
	assert_string_equal(ga->regs[ga->pc_regnum].name, pc_name);
	/* The registers of a thread fit the reply buffer. */
	unsigned bits = 0;
	for (unsigned k = 0; k < ga->nr_regs; k++) {
		assert_true(ga->regs[k].bits % 8 == 0);
		bits += ga->regs[k].bits;
	}
	assert_true(ga->nr_regs <= TARGET_MAX_REGS);
	assert_true(bits / 8 <= TARGET_MAX_REG_BYTES);
}

static void x86_64_table_matches_xml(void **state)
{
	(void)state;
	check_arch(&gdb_arch_x86_64, "rip");
	assert_ptr_equal(gdb_arch_for(62 /* EM_X86_64 */), &gdb_arch_x86_64);
}

static void aarch64_table_matches_xml(void **state)
{
	(void)state;
	check_arch(&gdb_arch_aarch64, "pc");
	assert_ptr_equal(gdb_arch_for(183 /* EM_AARCH64 */),
			 &gdb_arch_aarch64);
	/* SP_EL0, the current task the kernel's $lx_current() reads, is
	 * there by the name the scripts use, 64 bits wide. */
	unsigned n = 0;
	for (unsigned i = 0; i < gdb_arch_aarch64.nr_regs; i++)
		if (!strcmp(gdb_arch_aarch64.regs[i].name, "SP_EL0")) {
			assert_int_equal(gdb_arch_aarch64.regs[i].bits, 64);
			n++;
		}
	assert_int_equal(n, 1);
	assert_non_null(strstr(gdb_arch_aarch64.target_xml,
			       "<reg name=\"SP_EL0\" bitsize=\"64\""));
}

/* The comparison itself finds what it is there to find. */
static const struct gdb_reg small[] = {
	{ "a", 64 }, { "b", 32 }, { "c", 128 },
};

static void expect(const char *xml, const char *part)
{
	char why[WHY_LEN] = "";
	int rc = compare(xml, small, 3, why);
	if (!part) {
		if (rc)
			fail_msg("unexpected mismatch: %s", why);
		return;
	}
	if (rc == 0)
		fail_msg("no mismatch found; want \"%s\"", part);
	if (!strstr(why, part))
		fail_msg("\"%s\" lacks \"%s\"", why, part);
}

#define HEAD "<target><feature name='f'>"
#define TAIL "</feature></target>"

static void comparison_detects(void **state)
{
	(void)state;
	expect(HEAD "<reg name=\"a\" bitsize=\"64\"/>"
		    "<!-- <reg name=\"zz\" bitsize=\"8\"/> -->"
		    "<reg bitsize='32' type='int' name='b'/>\n"
		    "<reg\tname=\"c\"\nbitsize=\"128\"/>" TAIL,
	       NULL);
	/* regnum sets the numbering from there on. */
	expect(HEAD "<reg name=\"c\" bitsize=\"128\" regnum=\"2\"/>"
		    "<reg name=\"a\" bitsize=\"64\" regnum=\"0\"/>"
		    "<reg name=\"b\" bitsize=\"32\"/>" TAIL,
	       NULL);
	expect(HEAD "<reg name=\"a\" bitsize=\"64\"/>"
		    "<reg name=\"c\" bitsize=\"128\"/>"
		    "<reg name=\"b\" bitsize=\"32\"/>" TAIL,
	       "number 1: XML c, table b");
	expect(HEAD "<reg name=\"a\" bitsize=\"64\"/>"
		    "<reg name=\"b\" bitsize=\"64\"/>"
		    "<reg name=\"c\" bitsize=\"128\"/>" TAIL,
	       "b: XML 64 bits, table 32");
	expect(HEAD "<reg name=\"a\" bitsize=\"64\"/>"
		    "<reg name=\"b\" bitsize=\"32\"/>" TAIL,
	       "table entry 2 (c) is not in the XML");
	expect(HEAD "<reg name=\"a\" bitsize=\"64\"/>"
		    "<reg name=\"b\" bitsize=\"32\"/>"
		    "<reg name=\"c\" bitsize=\"128\"/>"
		    "<reg name=\"d\" bitsize=\"8\"/>" TAIL,
	       "XML reg d is number 3");
	expect(HEAD "<reg name=\"a\" bitsize=\"64\"/>"
		    "<reg name=\"b\" bitsize=\"32\" regnum=\"0\"/>" TAIL,
	       "number 0 twice");
	expect(HEAD "<reg name=\"a\" bitsize=\"64\"/>"
		    "<reg name=\"b\" bitsize=\"32\"/>"
		    "<reg name=\"c\" bitsize=\"128\" regnum=\"5\"/>" TAIL,
	       "number 5");
	expect("<target><xi:include href=\"more.xml\"/>" HEAD TAIL,
	       "lkstub serves only target.xml");
	expect(HEAD "<reg name=\"a\"/>" TAIL, "reg a: bad bitsize");
	expect("<target><feature name='f'><reg name=\"a\" bitsize=\"64\"/>"
	       "</target>",
	       "not closed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(x86_64_table_matches_xml),
		cmocka_unit_test(aarch64_table_matches_xml),
		cmocka_unit_test(comparison_detects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
