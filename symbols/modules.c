#include "symbols/modules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/kernel_list.h"

static long need(const struct btf_types *bt, const char *type,
		 const char *path, struct module_layout *l)
{
	return btf_offset_noted(bt, type, path, l->missing,
				sizeof(l->missing));
}

void module_layout_init(struct module_layout *l, const struct btf_types *bt)
{
	memset(l, 0, sizeof(*l));
	l->list = need(bt, "module", "list", l);
	struct btf_field name = btf_field(bt, "module", "name");
	l->name = name.offset;
	l->name_size = name.size;
	if (l->name < 0)
		need(bt, "module", "name", l);
	l->sect_attrs = need(bt, "module", "sect_attrs", l);
	l->state = btf_field(bt, "module", "state").offset;
	l->nsections = need(bt, "module_sect_attrs", "nsections", l);
	l->attrs = need(bt, "module_sect_attrs", "attrs", l);
	l->attr_size = btf_struct_size(bt, "module_sect_attr");
	l->attr_name = need(bt, "module_sect_attr", "battr.attr.name", l);
	/* The address is its own member up to 6.13; later kernels keep it
	 * in the bin_attribute's private pointer. */
	l->attr_address = btf_field(bt, "module_sect_attr", "address").offset;
	if (l->attr_address < 0)
		l->attr_address = need(bt, "module_sect_attr", "battr.private",
				       l);
	l->usable = l->list >= 0 && l->name >= 0 && l->name_size > 0 &&
		    l->sect_attrs >= 0 && l->nsections >= 0 && l->attrs >= 0 &&
		    l->attr_size > 0 && l->attr_name >= 0 &&
		    l->attr_address >= 0;
}

struct walk {
	const struct kernel_as *as;
	const struct module_layout *l;
	struct module_list *list;
};

static bool rd(const struct kernel_as *as, uint64_t va, void *buf, size_t n)
{
	return kva_read(as, va, buf, n) == n;
}

/* A NUL-terminated string of at most len - 1 bytes; false if unreadable. */
static bool rd_str(const struct kernel_as *as, uint64_t va, char *buf,
		   size_t len)
{
	size_t got = kva_read(as, va, buf, len - 1);
	buf[got] = '\0';
	return got > 0 && memchr(buf, '\0', got + 1);
}

static void read_sections(const struct walk *w, struct kmodule *m)
{
	const struct module_layout *l = w->l;
	uint64_t sa;
	uint32_t n;
	if (!klist_read_ptr(w->as, m->addr + (uint64_t)l->sect_attrs, &sa) ||
	    !sa) {
		snprintf(m->note, sizeof(m->note), "no section list");
		return;
	}
	if (!rd(w->as, sa + (uint64_t)l->nsections, &n, 4) ||
	    n > MODULE_SECTIONS_MAX) {
		snprintf(m->note, sizeof(m->note), "bad section count");
		return;
	}
	m->secs = calloc(n ? n : 1, sizeof(*m->secs));
	if (!m->secs)
		return;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = sa + (uint64_t)l->attrs +
			     (uint64_t)i * (uint64_t)l->attr_size, name, addr;
		struct kmodule_section *s = &m->secs[m->nr_secs];
		if (!klist_read_ptr(w->as, a + (uint64_t)l->attr_name, &name) ||
		    !rd(w->as, a + (uint64_t)l->attr_address, &addr, 8) ||
		    !rd_str(w->as, name, s->name, sizeof(s->name)))
			continue; /* that section only */
		s->addr = addr;
		m->nr_secs++;
	}
	if (m->nr_secs < n)
		snprintf(m->note, sizeof(m->note), "%u of %u sections unreadable",
			 n - m->nr_secs, n);
}

static bool add_module(void *arg, uint64_t node)
{
	struct walk *w = arg;
	struct module_list *list = w->list;
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 64;
		struct kmodule *v = realloc(list->v, cap * sizeof(*v));
		if (!v)
			return false;
		list->v = v;
		list->cap = cap;
	}
	struct kmodule *m = &list->v[list->n];
	memset(m, 0, sizeof(*m));
	m->addr = node - (uint64_t)w->l->list;
	size_t nlen = w->l->name_size < sizeof(m->name) ? w->l->name_size
							: sizeof(m->name) - 1;
	if (!rd(w->as, m->addr + (uint64_t)w->l->name, m->name, nlen))
		return false;
	m->name[nlen] = '\0';
	if (!m->name[0])
		return false;
	/* MODULE_STATE_LIVE is 0: do_init_module has run and freed the
	 * module's init memory (the kernel keeps its section addresses). */
	uint32_t state;
	m->live = w->l->state >= 0 &&
		  rd(w->as, m->addr + (uint64_t)w->l->state, &state, 4) &&
		  state == 0;
	read_sections(w, m);
	list->n++;
	return true;
}

static void clear(struct module_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->v[i].secs);
	list->n = 0;
	list->note[0] = '\0';
}

int modules_read(const struct kernel_info *ki, const struct vmlinux *vm,
		 const struct module_layout *l, struct module_list *list)
{
	clear(list);
	if (!l->usable) {
		snprintf(list->note, sizeof(list->note),
			 "no module list: BTF lacks %.120s", l->missing);
		return -1;
	}
	uint64_t head;
	if (!vmlinux_sym(vm, "modules", &head)) {
		snprintf(list->note, sizeof(list->note), "no `modules` symbol");
		return -1;
	}
	struct walk w = { &ki->as, l, list };
	size_t budget = MODULES_MAX;
	const char *why = klist_walk(&ki->as, head + ki->kaslr_offset, &budget,
				     add_module, &w);
	if (why)
		snprintf(list->note, sizeof(list->note),
			 "module list walk stopped after %zu modules: %s",
			 list->n, why);
	return list->n || !why ? 0 : -1;
}

void module_list_free(struct module_list *list)
{
	clear(list);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

uint64_t kmodule_section_addr(const struct kmodule *m, const char *name)
{
	if (m->live && !strncmp(name, ".init", 5))
		return 0;
	for (unsigned i = 0; i < m->nr_secs; i++)
		if (!strcmp(m->secs[i].name, name))
			return m->secs[i].addr;
	return 0;
}
