/* x86_64 as gdb's amd64 target expects it. i386_validate_tdesc_p wants
 * the whole of org.gnu.gdb.i386.core (general, segment and x87 registers,
 * in this order); the SSE feature keeps gdb from assuming its own layout
 * and the segments feature adds fs_base/gs_base. Register numbers are
 * positions in this table; the target fills struct target_regs in it. */
#include "stub/target/gdb_arch.h"

static const char x86_64_target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>i386:x86-64</architecture>\n"
	/* No OS ABI: gdb then takes the library list (solib-target) that
	 * gives it the kernel and module symbols, not the ld.so one. */
	"<osabi>none</osabi>\n"
	"<feature name=\"org.gnu.gdb.i386.core\">\n"
	"  <flags id=\"i386_eflags\" size=\"4\">\n"
	"    <field name=\"CF\" start=\"0\" end=\"0\"/>\n"
	"    <field name=\"\" start=\"1\" end=\"1\"/>\n"
	"    <field name=\"PF\" start=\"2\" end=\"2\"/>\n"
	"    <field name=\"AF\" start=\"4\" end=\"4\"/>\n"
	"    <field name=\"ZF\" start=\"6\" end=\"6\"/>\n"
	"    <field name=\"SF\" start=\"7\" end=\"7\"/>\n"
	"    <field name=\"TF\" start=\"8\" end=\"8\"/>\n"
	"    <field name=\"IF\" start=\"9\" end=\"9\"/>\n"
	"    <field name=\"DF\" start=\"10\" end=\"10\"/>\n"
	"    <field name=\"OF\" start=\"11\" end=\"11\"/>\n"
	"    <field name=\"NT\" start=\"14\" end=\"14\"/>\n"
	"    <field name=\"RF\" start=\"16\" end=\"16\"/>\n"
	"    <field name=\"VM\" start=\"17\" end=\"17\"/>\n"
	"    <field name=\"AC\" start=\"18\" end=\"18\"/>\n"
	"    <field name=\"VIF\" start=\"19\" end=\"19\"/>\n"
	"    <field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
	"    <field name=\"ID\" start=\"21\" end=\"21\"/>\n"
	"  </flags>\n"
	"  <reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"  <reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"  <reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
	"  <reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	"  <reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
	"  <reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
	"  <reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"  <reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"  <reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"  <reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"  <reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"  <reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"  <reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"  <reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"  <reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"  <reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"  <reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"  <reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"  <reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"  <reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"  <reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"  <reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.i386.sse\">\n"
	"  <vector id=\"v8bf16\" type=\"bfloat16\" count=\"8\"/>\n"
	"  <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
	"  <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
	"  <vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
	"  <vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
	"  <vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
	"  <vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
	"  <union id=\"vec128\">\n"
	"    <field name=\"v8_bfloat16\" type=\"v8bf16\"/>\n"
	"    <field name=\"v4_float\" type=\"v4f\"/>\n"
	"    <field name=\"v2_double\" type=\"v2d\"/>\n"
	"    <field name=\"v16_int8\" type=\"v16i8\"/>\n"
	"    <field name=\"v8_int16\" type=\"v8i16\"/>\n"
	"    <field name=\"v4_int32\" type=\"v4i32\"/>\n"
	"    <field name=\"v2_int64\" type=\"v2i64\"/>\n"
	"    <field name=\"uint128\" type=\"uint128\"/>\n"
	"  </union>\n"
	"  <flags id=\"i386_mxcsr\" size=\"4\">\n"
	"    <field name=\"IE\" start=\"0\" end=\"0\"/>\n"
	"    <field name=\"DE\" start=\"1\" end=\"1\"/>\n"
	"    <field name=\"ZE\" start=\"2\" end=\"2\"/>\n"
	"    <field name=\"OE\" start=\"3\" end=\"3\"/>\n"
	"    <field name=\"UE\" start=\"4\" end=\"4\"/>\n"
	"    <field name=\"PE\" start=\"5\" end=\"5\"/>\n"
	"    <field name=\"DAZ\" start=\"6\" end=\"6\"/>\n"
	"    <field name=\"IM\" start=\"7\" end=\"7\"/>\n"
	"    <field name=\"DM\" start=\"8\" end=\"8\"/>\n"
	"    <field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
	"    <field name=\"OM\" start=\"10\" end=\"10\"/>\n"
	"    <field name=\"UM\" start=\"11\" end=\"11\"/>\n"
	"    <field name=\"PM\" start=\"12\" end=\"12\"/>\n"
	"    <field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
	"  </flags>\n"
	"  <reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>\n"
	"  <reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\"/>\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.i386.segments\">\n"
	"  <reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>\n"
	"  <reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"
	"</feature>\n"
	"</target>\n";

static const struct gdb_reg x86_64_regs[] = {
	{ "rax", 64 },
	{ "rbx", 64 },
	{ "rcx", 64 },
	{ "rdx", 64 },
	{ "rsi", 64 },
	{ "rdi", 64 },
	{ "rbp", 64 },
	{ "rsp", 64 },
	{ "r8", 64 },
	{ "r9", 64 },
	{ "r10", 64 },
	{ "r11", 64 },
	{ "r12", 64 },
	{ "r13", 64 },
	{ "r14", 64 },
	{ "r15", 64 },
	{ "rip", 64 },
	{ "eflags", 32 },
	{ "cs", 32 },
	{ "ss", 32 },
	{ "ds", 32 },
	{ "es", 32 },
	{ "fs", 32 },
	{ "gs", 32 },
	{ "st0", 80 },
	{ "st1", 80 },
	{ "st2", 80 },
	{ "st3", 80 },
	{ "st4", 80 },
	{ "st5", 80 },
	{ "st6", 80 },
	{ "st7", 80 },
	{ "fctrl", 32 },
	{ "fstat", 32 },
	{ "ftag", 32 },
	{ "fiseg", 32 },
	{ "fioff", 32 },
	{ "foseg", 32 },
	{ "fooff", 32 },
	{ "fop", 32 },
	{ "xmm0", 128 },
	{ "xmm1", 128 },
	{ "xmm2", 128 },
	{ "xmm3", 128 },
	{ "xmm4", 128 },
	{ "xmm5", 128 },
	{ "xmm6", 128 },
	{ "xmm7", 128 },
	{ "xmm8", 128 },
	{ "xmm9", 128 },
	{ "xmm10", 128 },
	{ "xmm11", 128 },
	{ "xmm12", 128 },
	{ "xmm13", 128 },
	{ "xmm14", 128 },
	{ "xmm15", 128 },
	{ "mxcsr", 32 },
	{ "fs_base", 64 },
	{ "gs_base", 64 },
};

const struct gdb_arch gdb_arch_x86_64 = {
	.name = "x86_64",
	.target_xml = x86_64_target_xml,
	.regs = x86_64_regs,
	.nr_regs = sizeof(x86_64_regs) / sizeof(x86_64_regs[0]),
	.pc_regnum = 16, /* rip */
};
