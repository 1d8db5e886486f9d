/* SPDX-License-Identifier: MIT */
/*
 * A deliberately broken trace recorder, for the expected-failure sweep only
 * (test/meson.build links it in place of src/trace.c for
 * trace-sweep-unlocked-fails): src/trace.c itself, with its critical
 * sections emptied, so that reserving a sequence number and a ring slot is
 * a plain read-modify-write that an interrupt can split.  (The drain's
 * sections lose their mask too, but only thread mode drains.)  The sweep
 * must then fail its accounting: numbers given twice, records overwritten.
 */
#include "primask.h"

#define primask_mask() 0u
#define primask_restore(primask) ((void)(primask))

#include "trace.c"
