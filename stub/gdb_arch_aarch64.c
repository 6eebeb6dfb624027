/* aarch64 as gdb's org.gnu.gdb.aarch64.core feature describes it: x0-x30,
 * sp, pc, cpsr. With it gdb needs no `set architecture`. Register numbers
 * are positions in this table. */
#include "stub/target.h"

static const char aarch64_target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>aarch64</architecture>\n"
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
	"  <flags id=\"cpsr_flags\" size=\"4\">\n"
	"    <field name=\"SP\" start=\"0\" end=\"0\"/>\n"
	"    <field name=\"EL\" start=\"2\" end=\"3\"/>\n"
	"    <field name=\"nRW\" start=\"4\" end=\"4\"/>\n"
	"    <field name=\"F\" start=\"6\" end=\"6\"/>\n"
	"    <field name=\"I\" start=\"7\" end=\"7\"/>\n"
	"    <field name=\"A\" start=\"8\" end=\"8\"/>\n"
	"    <field name=\"D\" start=\"9\" end=\"9\"/>\n"
	"    <field name=\"SS\" start=\"21\" end=\"21\"/>\n"
	"    <field name=\"IL\" start=\"20\" end=\"20\"/>\n"
	"    <field name=\"V\" start=\"28\" end=\"28\"/>\n"
	"    <field name=\"C\" start=\"29\" end=\"29\"/>\n"
	"    <field name=\"Z\" start=\"30\" end=\"30\"/>\n"
	"    <field name=\"N\" start=\"31\" end=\"31\"/>\n"
	"  </flags>\n"
	"  <reg name=\"cpsr\" bitsize=\"32\" type=\"cpsr_flags\"/>\n"
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
};

const struct gdb_arch gdb_arch_aarch64 = {
	.name = "aarch64",
	.target_xml = aarch64_target_xml,
	.regs = aarch64_regs,
	.nr_regs = sizeof(aarch64_regs) / sizeof(aarch64_regs[0]),
	.pc_regnum = 32,
};
