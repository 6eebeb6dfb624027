/* aarch64 as gdb's org.gnu.gdb.aarch64.core feature describes it: x0-x30,
 * sp, pc, cpsr, the pointer-authentication masks of
 * org.gnu.gdb.aarch64.pauth, and SP_EL0 (the current task). With it gdb needs no `set architecture`. Register numbers
 * are positions in this table. */
#include "stub/target/gdb_arch.h"

static const char aarch64_target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>aarch64</architecture>\n"
	/* No OS ABI: gdb then takes the library list (solib-target) that
	 * gives it the kernel and module symbols, not the ld.so one. */
	"<osabi>none</osabi>\n"
	"<feature name=\"org.gnu.gdb.aarch64.core\">\n"
	"  <reg name=\"x0\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x1\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x2\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x3\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x4\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x5\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x6\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x7\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x8\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x9\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x10\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x11\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x12\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x13\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x14\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x15\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x16\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x17\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x18\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x19\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x20\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x21\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x22\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x23\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x24\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x25\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x26\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x27\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x28\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x29\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"x30\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"  <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	/* Plain, as QEMU describes it: info registers reads alike. */
	"  <reg name=\"cpsr\" bitsize=\"32\"/>\n"
	"</feature>\n"
	/* gdb numbers its pseudo registers after the FPU's: without this
	 * feature its pointer-authentication unwinding misnumbers them. */
	"<feature name=\"org.gnu.gdb.aarch64.fpu\">\n"
	"  <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
	"  <vector id=\"v2u\" type=\"uint64\" count=\"2\"/>\n"
	"  <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
	"  <vector id=\"v4u\" type=\"uint32\" count=\"4\"/>\n"
	"  <vector id=\"v16u\" type=\"uint8\" count=\"16\"/>\n"
	"  <union id=\"vnd\"><field name=\"f\" type=\"v2d\"/><field name=\"u\" type=\"v2u\"/></union>\n"
	"  <union id=\"vns\"><field name=\"f\" type=\"v4f\"/><field name=\"u\" type=\"v4u\"/></union>\n"
	"  <union id=\"vnb\"><field name=\"u\" type=\"v16u\"/></union>\n"
	"  <union id=\"aarch64v\"><field name=\"d\" type=\"vnd\"/><field name=\"s\" type=\"vns\"/><field name=\"b\" type=\"vnb\"/></union>\n"
	"  <reg name=\"v0\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v1\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v2\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v3\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v4\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v5\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v6\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v7\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v8\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v9\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v10\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v11\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v12\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v13\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v14\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v15\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v16\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v17\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v18\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v19\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v20\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v21\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v22\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v23\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v24\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v25\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v26\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v27\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v28\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v29\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v30\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"v31\" bitsize=\"128\" type=\"aarch64v\"/>\n"
	"  <reg name=\"fpsr\" bitsize=\"32\"/>\n"
	"  <reg name=\"fpcr\" bitsize=\"32\"/>\n"
	"</feature>\n"
	/* The kernel signs return addresses (PAC): with the masks gdb strips
	 * the signatures while unwinding. gdb 14 and later use the _high
	 * pair for kernel (TTBR1) addresses; gdb 13 only knows the first
	 * pair, which it applies as if every address were a user one. */
	"<feature name=\"org.gnu.gdb.aarch64.pauth\">\n"
	"  <reg name=\"pauth_dmask\" bitsize=\"64\"/>\n"
	"  <reg name=\"pauth_cmask\" bitsize=\"64\"/>\n"
	"  <reg name=\"pauth_dmask_high\" bitsize=\"64\"/>\n"
	"  <reg name=\"pauth_cmask_high\" bitsize=\"64\"/>\n"
	"</feature>\n"
	/* In EL1 the kernel keeps `current` (its task_struct) in SP_EL0, and
	 * its gdb scripts read it there ($lx_current() from 6.x); QEMU's stub
	 * names it the same. lkstub gives each thread its task's address. */
	"<feature name=\"org.lkstub.aarch64.kernel\">\n"
	"  <reg name=\"SP_EL0\" bitsize=\"64\" type=\"int\"/>\n"
	"</feature>\n"
	"</target>\n";

static const struct gdb_reg aarch64_regs[] = {
	{ "x0", 64 },
	{ "x1", 64 },
	{ "x2", 64 },
	{ "x3", 64 },
	{ "x4", 64 },
	{ "x5", 64 },
	{ "x6", 64 },
	{ "x7", 64 },
	{ "x8", 64 },
	{ "x9", 64 },
	{ "x10", 64 },
	{ "x11", 64 },
	{ "x12", 64 },
	{ "x13", 64 },
	{ "x14", 64 },
	{ "x15", 64 },
	{ "x16", 64 },
	{ "x17", 64 },
	{ "x18", 64 },
	{ "x19", 64 },
	{ "x20", 64 },
	{ "x21", 64 },
	{ "x22", 64 },
	{ "x23", 64 },
	{ "x24", 64 },
	{ "x25", 64 },
	{ "x26", 64 },
	{ "x27", 64 },
	{ "x28", 64 },
	{ "x29", 64 },
	{ "x30", 64 },
	{ "sp", 64 },
	{ "pc", 64 },
	{ "cpsr", 32 },
	{ "v0", 128 },
	{ "v1", 128 },
	{ "v2", 128 },
	{ "v3", 128 },
	{ "v4", 128 },
	{ "v5", 128 },
	{ "v6", 128 },
	{ "v7", 128 },
	{ "v8", 128 },
	{ "v9", 128 },
	{ "v10", 128 },
	{ "v11", 128 },
	{ "v12", 128 },
	{ "v13", 128 },
	{ "v14", 128 },
	{ "v15", 128 },
	{ "v16", 128 },
	{ "v17", 128 },
	{ "v18", 128 },
	{ "v19", 128 },
	{ "v20", 128 },
	{ "v21", 128 },
	{ "v22", 128 },
	{ "v23", 128 },
	{ "v24", 128 },
	{ "v25", 128 },
	{ "v26", 128 },
	{ "v27", 128 },
	{ "v28", 128 },
	{ "v29", 128 },
	{ "v30", 128 },
	{ "v31", 128 },
	{ "fpsr", 32 },
	{ "fpcr", 32 },
	{ "pauth_dmask", 64 },
	{ "pauth_cmask", 64 },
	{ "pauth_dmask_high", 64 },
	{ "pauth_cmask_high", 64 },
	{ "SP_EL0", 64 },
};

const struct gdb_arch gdb_arch_aarch64 = {
	.name = "aarch64",
	.target_xml = aarch64_target_xml,
	.regs = aarch64_regs,
	.nr_regs = sizeof(aarch64_regs) / sizeof(aarch64_regs[0]),
	.pc_regnum = 32,
};
