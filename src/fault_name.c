/* SPDX-License-Identifier: MIT */
/*
 * poolalloc_fault_name(): the human-readable name of a fault kind, for
 * applications' own fault hooks and for the message reporter (fault=message).
 * Its own file, so that a program that never asks links none of the strings.
 */
#include "poolalloc.h"

const char *poolalloc_fault_name(enum poolalloc_fault_kind kind)
{
    switch (kind) {
    case POOLALLOC_FAULT_NONE:
        return "no fault";
    case POOLALLOC_FAULT_FOREIGN_POINTER:
        return "pointer outside every pool";
    case POOLALLOC_FAULT_MISALIGNED_POINTER:
        return "pointer not at a block boundary";
    case POOLALLOC_FAULT_UNALLOCATED_POINTER:
        return "pointer to a block never allocated";
    case POOLALLOC_FAULT_DOUBLE_FREE:
        return "block is not allocated (double free)";
    case POOLALLOC_FAULT_USE_AFTER_FREE:
        return "freed block was written (use after free)";
    case POOLALLOC_FAULT_FREE_LIST_CORRUPT:
        return "free list corrupt";
    case POOLALLOC_FAULT_FREE_LIST_CYCLE:
        return "free list has a cycle";
    case POOLALLOC_FAULT_COUNT_MISMATCH:
        return "pool counts inconsistent";
    case POOLALLOC_FAULT_EDGE_CORRUPT:
        return "pool edge corrupt";
    }
    return "unknown fault";
}
