/* SPDX-License-Identifier: MIT */
/*
 * The subcommands of the `swiotlb` program.  Each is one tools/<name>.c
 * file exporting `int cmd_<name>(int argc, char **argv)`: argv[0] is the
 * subcommand's own name, the return value is the process exit status.
 * Register a new one with swiotlb_tool_command() in tools/CMakeLists.txt,
 * in the block of the module it needs: the declarations below come from
 * that registration (commands.inc), so a command of a module that was not
 * built is neither declared nor linked.
 */
#ifndef SWIOTLB_TOOLS_COMMANDS_H
#define SWIOTLB_TOOLS_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#define COMMAND(name, help) int cmd_##name(int argc, char **argv);
#include "commands.inc"
#undef COMMAND

/* ------------------------------------------------- shared by subcommands */

/*
 * Run a replay script read from `in` (replay.c).  `label` names the script
 * in messages; `json` selects one JSON object per statement; `echo` prints
 * each statement ("> map a ...") before its result in human mode.
 * Returns the replay exit status: 0, 1 (an expect failed), 2 (syntax).
 */
int replay_stream(FILE *in, const char *label, bool json, bool echo);

#endif
