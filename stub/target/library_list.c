#include "stub/target/library_list.h"

void library_list_begin(struct strbuf *xml)
{
	strbuf_reset(xml);
	strbuf_printf(xml, "<library-list>\n");
}

/* A path is the user's, but may hold anything XML gives meaning to. */
static void put_attr(struct strbuf *xml, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_printf(xml, "&amp;"); break;
		case '<': strbuf_printf(xml, "&lt;"); break;
		case '>': strbuf_printf(xml, "&gt;"); break;
		case '"': strbuf_printf(xml, "&quot;"); break;
		case '\'': strbuf_printf(xml, "&apos;"); break;
		default: strbuf_putc(xml, *s);
		}
	}
}

void library_list_add(struct strbuf *xml, const char *path,
		      const uint64_t *addrs, unsigned n)
{
	strbuf_printf(xml, "  <library name=\"");
	put_attr(xml, path);
	strbuf_printf(xml, "\">\n");
	for (unsigned i = 0; i < n; i++)
		strbuf_printf(xml, "    <section address=\"%#llx\"/>\n",
			      (unsigned long long)addrs[i]);
	strbuf_printf(xml, "  </library>\n");
}

void library_list_end(struct strbuf *xml)
{
	strbuf_printf(xml, "</library-list>\n");
}
