/* x86_64 as QEMU's gdbstub describes it: one org.gnu.gdb.i386.core
 * feature with the general, segment-base, control and x87 registers, then
 * the SSE ones (i386_validate_tdesc_p needs the core feature whole; gdb
 * takes the rest by name). The same document, types included, makes gdb's
 * `info registers` read the same through lkstub and through QEMU. Register
 * numbers are positions in this table; the target fills struct
 * target_regs in it. */
#include "stub/target/gdb_arch.h"

static const char x86_64_target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target>\n"
	"  <architecture>i386:x86-64</architecture>\n"
	/* No OS ABI: gdb then takes the library list (solib-target) that
	 * gives it the kernel and module symbols, not the ld.so one. */
	"  <osabi>none</osabi>\n"
	"  <feature name=\"org.gnu.gdb.i386.core\">\n"
	"    <flags id=\"x64_eflags\" size=\"4\">\n"
	"      <field name=\"\" start=\"22\" end=\"31\" type=\"uint32\"/>\n"
	"      <field name=\"ID\" start=\"21\" end=\"21\" type=\"bool\"/>\n"
	"      <field name=\"VIP\" start=\"20\" end=\"20\" type=\"bool\"/>\n"
	"      <field name=\"VIF\" start=\"19\" end=\"19\" type=\"bool\"/>\n"
	"      <field name=\"AC\" start=\"18\" end=\"18\" type=\"bool\"/>\n"
	"      <field name=\"VM\" start=\"17\" end=\"17\" type=\"bool\"/>\n"
	"      <field name=\"RF\" start=\"16\" end=\"16\" type=\"bool\"/>\n"
	"      <field name=\"\" start=\"15\" end=\"15\" type=\"bool\"/>\n"
	"      <field name=\"NT\" start=\"14\" end=\"14\" type=\"bool\"/>\n"
	"      <field name=\"IOPL\" start=\"12\" end=\"13\" type=\"uint32\"/>\n"
	"      <field name=\"OF\" start=\"11\" end=\"11\" type=\"bool\"/>\n"
	"      <field name=\"DF\" start=\"10\" end=\"10\" type=\"bool\"/>\n"
	"      <field name=\"IF\" start=\"9\" end=\"9\" type=\"bool\"/>\n"
	"      <field name=\"TF\" start=\"8\" end=\"8\" type=\"bool\"/>\n"
	"      <field name=\"SF\" start=\"7\" end=\"7\" type=\"bool\"/>\n"
	"      <field name=\"ZF\" start=\"6\" end=\"6\" type=\"bool\"/>\n"
	"      <field name=\"\" start=\"5\" end=\"5\" type=\"bool\"/>\n"
	"      <field name=\"AF\" start=\"4\" end=\"4\" type=\"bool\"/>\n"
	"      <field name=\"\" start=\"3\" end=\"3\" type=\"bool\"/>\n"
	"      <field name=\"PF\" start=\"2\" end=\"2\" type=\"bool\"/>\n"
	"      <field name=\"\" start=\"1\" end=\"1\" type=\"bool\"/>\n"
	"      <field name=\"CF\" start=\"0\" end=\"0\" type=\"bool\"/>\n"
	"    </flags>\n"
	"    <flags id=\"x64_cr0\" size=\"8\">\n"
	"      <field name=\"PG\" start=\"31\" end=\"31\" type=\"bool\"/>\n"
	"      <field name=\"CD\" start=\"30\" end=\"30\" type=\"bool\"/>\n"
	"      <field name=\"NW\" start=\"29\" end=\"29\" type=\"bool\"/>\n"
	"      <field name=\"AM\" start=\"18\" end=\"18\" type=\"bool\"/>\n"
	"      <field name=\"WP\" start=\"16\" end=\"16\" type=\"bool\"/>\n"
	"      <field name=\"NE\" start=\"5\" end=\"5\" type=\"bool\"/>\n"
	"      <field name=\"ET\" start=\"4\" end=\"4\" type=\"bool\"/>\n"
	"      <field name=\"TS\" start=\"3\" end=\"3\" type=\"bool\"/>\n"
	"      <field name=\"EM\" start=\"2\" end=\"2\" type=\"bool\"/>\n"
	"      <field name=\"MP\" start=\"1\" end=\"1\" type=\"bool\"/>\n"
	"      <field name=\"PE\" start=\"0\" end=\"0\" type=\"bool\"/>\n"
	"    </flags>\n"
	"    <flags id=\"x64_cr3\" size=\"8\">\n"
	"      <field name=\"PDBR\" start=\"12\" end=\"63\" type=\"uint64\"/>\n"
	"      <field name=\"PCID\" start=\"0\" end=\"11\" type=\"uint64\"/>\n"
	"    </flags>\n"
	"    <flags id=\"x64_cr4\" size=\"8\">\n"
	"      <field name=\"PKE\" start=\"22\" end=\"22\" type=\"bool\"/>\n"
	"      <field name=\"SMAP\" start=\"21\" end=\"21\" type=\"bool\"/>\n"
	"      <field name=\"SMEP\" start=\"20\" end=\"20\" type=\"bool\"/>\n"
	"      <field name=\"OSXSAVE\" start=\"18\" end=\"18\" type=\"bool\"/>\n"
	"      <field name=\"PCIDE\" start=\"17\" end=\"17\" type=\"bool\"/>\n"
	"      <field name=\"FSGSBASE\" start=\"16\" end=\"16\" type=\"bool\"/>\n"
	"      <field name=\"SMXE\" start=\"14\" end=\"14\" type=\"bool\"/>\n"
	"      <field name=\"VMXE\" start=\"13\" end=\"13\" type=\"bool\"/>\n"
	"      <field name=\"LA57\" start=\"12\" end=\"12\" type=\"bool\"/>\n"
	"      <field name=\"UMIP\" start=\"11\" end=\"11\" type=\"bool\"/>\n"
	"      <field name=\"OSXMMEXCPT\" start=\"10\" end=\"10\" type=\"bool\"/>\n"
	"      <field name=\"OSFXSR\" start=\"9\" end=\"9\" type=\"bool\"/>\n"
	"      <field name=\"PCE\" start=\"8\" end=\"8\" type=\"bool\"/>\n"
	"      <field name=\"PGE\" start=\"7\" end=\"7\" type=\"bool\"/>\n"
	"      <field name=\"MCE\" start=\"6\" end=\"6\" type=\"bool\"/>\n"
	"      <field name=\"PAE\" start=\"5\" end=\"5\" type=\"bool\"/>\n"
	"      <field name=\"PSE\" start=\"4\" end=\"4\" type=\"bool\"/>\n"
	"      <field name=\"DE\" start=\"3\" end=\"3\" type=\"bool\"/>\n"
	"      <field name=\"TSD\" start=\"2\" end=\"2\" type=\"bool\"/>\n"
	"      <field name=\"PVI\" start=\"1\" end=\"1\" type=\"bool\"/>\n"
	"      <field name=\"VME\" start=\"0\" end=\"0\" type=\"bool\"/>\n"
	"    </flags>\n"
	"    <flags id=\"x64_efer\" size=\"8\">\n"
	"      <field name=\"TCE\" start=\"15\" end=\"15\" type=\"bool\"/>\n"
	"      <field name=\"FFXSR\" start=\"14\" end=\"14\" type=\"bool\"/>\n"
	"      <field name=\"LMSLE\" start=\"13\" end=\"13\" type=\"bool\"/>\n"
	"      <field name=\"SVME\" start=\"12\" end=\"12\" type=\"bool\"/>\n"
	"      <field name=\"NXE\" start=\"11\" end=\"11\" type=\"bool\"/>\n"
	"      <field name=\"LMA\" start=\"10\" end=\"10\" type=\"bool\"/>\n"
	"      <field name=\"LME\" start=\"8\" end=\"8\" type=\"bool\"/>\n"
	"      <field name=\"SCE\" start=\"0\" end=\"0\" type=\"bool\"/>\n"
	"    </flags>\n"
	"    <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
	"    <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
	"    <vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
	"    <vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
	"    <vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
	"    <vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
	"    <union id=\"vec128\">\n"
	"      <field name=\"v4_float\" type=\"v4f\"/>\n"
	"      <field name=\"v2_double\" type=\"v2d\"/>\n"
	"      <field name=\"v16_int8\" type=\"v16i8\"/>\n"
	"      <field name=\"v8_int16\" type=\"v8i16\"/>\n"
	"      <field name=\"v4_int32\" type=\"v4i32\"/>\n"
	"      <field name=\"v2_int64\" type=\"v2i64\"/>\n"
	"      <field name=\"uint128\" type=\"uint128\"/>\n"
	"    </union>\n"
	"    <flags id=\"x64_mxcsr\" size=\"4\">\n"
	"      <field name=\"IE\" start=\"0\" end=\"0\" type=\"bool\"/>\n"
	"      <field name=\"DE\" start=\"1\" end=\"1\" type=\"bool\"/>\n"
	"      <field name=\"ZE\" start=\"2\" end=\"2\" type=\"bool\"/>\n"
	"      <field name=\"OE\" start=\"3\" end=\"3\" type=\"bool\"/>\n"
	"      <field name=\"UE\" start=\"4\" end=\"4\" type=\"bool\"/>\n"
	"      <field name=\"PE\" start=\"5\" end=\"5\" type=\"bool\"/>\n"
	"      <field name=\"DAZ\" start=\"6\" end=\"6\" type=\"bool\"/>\n"
	"      <field name=\"IM\" start=\"7\" end=\"7\" type=\"bool\"/>\n"
	"      <field name=\"DM\" start=\"8\" end=\"8\" type=\"bool\"/>\n"
	"      <field name=\"ZM\" start=\"9\" end=\"9\" type=\"bool\"/>\n"
	"      <field name=\"OM\" start=\"10\" end=\"10\" type=\"bool\"/>\n"
	"      <field name=\"UM\" start=\"11\" end=\"11\" type=\"bool\"/>\n"
	"      <field name=\"PM\" start=\"12\" end=\"12\" type=\"bool\"/>\n"
	"      <field name=\"FZ\" start=\"15\" end=\"15\" type=\"bool\"/>\n"
	"    </flags>\n"
	"    <reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"    <reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"    <reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	"    <reg name=\"eflags\" bitsize=\"32\" type=\"x64_eflags\"/>\n"
	"    <reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
	"    <reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
	"    <reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
	"    <reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
	"    <reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
	"    <reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
	"    <reg name=\"fs_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"gs_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"k_gs_base\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"cr0\" bitsize=\"64\" type=\"x64_cr0\"/>\n"
	"    <reg name=\"cr2\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"cr3\" bitsize=\"64\" type=\"x64_cr3\"/>\n"
	"    <reg name=\"cr4\" bitsize=\"64\" type=\"x64_cr4\"/>\n"
	"    <reg name=\"cr8\" bitsize=\"64\" type=\"int64\"/>\n"
	"    <reg name=\"efer\" bitsize=\"64\" type=\"x64_efer\"/>\n"
	"    <reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"    <reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"    <reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"    <reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"    <reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"    <reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"    <reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"    <reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"    <reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"    <reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"    <reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"    <reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"    <reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"    <reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"    <reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"    <reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"    <reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>\n"
	"    <reg name=\"mxcsr\" bitsize=\"32\" type=\"x64_mxcsr\" group=\"vector\"/>\n"
	"  </feature>\n"
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
	{ "fs_base", 64 },
	{ "gs_base", 64 },
	{ "k_gs_base", 64 },
	{ "cr0", 64 },
	{ "cr2", 64 },
	{ "cr3", 64 },
	{ "cr4", 64 },
	{ "cr8", 64 },
	{ "efer", 64 },
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
};

const struct gdb_arch gdb_arch_x86_64 = {
	.name = "x86_64",
	.target_xml = x86_64_target_xml,
	.regs = x86_64_regs,
	.nr_regs = sizeof(x86_64_regs) / sizeof(x86_64_regs[0]),
	.pc_regnum = 16, /* rip */
};
