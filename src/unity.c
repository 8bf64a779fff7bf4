/* SPDX-License-Identifier: MIT */
/* The whole core as one translation unit, for the freestanding build check
 * and for ports that prefer a single file. */
#include "str.c"
#include "fmt.c"
#include "log.c"
#include "error.c"
#include "pool.c"
#include "acct.c"
#include "policy.c"
#include "policy_linux.c"
#include "policy_fast.c"
#include "map.c"
#include "config.c"
#include "create.c"
#include "stats.c"
#include "debug.c"
