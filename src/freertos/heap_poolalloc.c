/* SPDX-License-Identifier: MIT */
/*
 * FreeRTOS memory management on poolalloc: use this file instead of one of
 * FreeRTOS's portable/MemMang/heap_N.c (doc/integration.md, "Using
 * poolalloc with FreeRTOS").  It is compiled with the firmware's FreeRTOS
 * (it needs its FreeRTOSConfig.h and portable.h), so it ships as source:
 * the Meson dependency `poolalloc_freertos` adds it to the firmware's
 * sources, the installed copy is share/poolalloc/freertos/heap_poolalloc.c.
 *
 * pvPortMalloc and vPortFree are poolalloc's malloc and free: constant
 * time, and atomic on their own (the sync backend), so nothing here
 * suspends the scheduler or enters a critical section -- they may be called
 * from any task and any interrupt handler, including one above
 * configMAX_SYSCALL_INTERRUPT_PRIORITY (heap_4 allows neither).  The heap
 * is the pools of the default region (-Dpools), not configTOTAL_HEAP_SIZE.
 *
 * The statistics count whole blocks of the default region's pools: a
 * request takes a whole block (and may spill into a larger pool), so a
 * free byte count says how much is free, not that a request of that size
 * fits.  xPortGetFreeHeapSize and vPortGetHeapStats are O(pools) with
 * -Dstats=true and O(total capacity) without (the free lists are walked);
 * neither is atomic: a call made while others allocate sees each pool at a
 * slightly different instant.
 */
#include <stddef.h>

#include "FreeRTOS.h"
#include "poolalloc.h"

#if !defined configUSE_MALLOC_FAILED_HOOK
#define configUSE_MALLOC_FAILED_HOOK 0
#endif

/* After a failed allocation (poolalloc_oom has run, errno is ENOMEM): the
 * application's hook, as heap_4 calls it. */
static void *malloc_result(void *block)
{
#if configUSE_MALLOC_FAILED_HOOK == 1
    if (block == NULL)
        vApplicationMallocFailedHook(); /* declared by portable.h */
#endif
    return block;
}

/* A block of at least xWantedSize bytes, or NULL.  O(1) per pool tried.
 * pvPortMalloc(0) returns a unique block, like malloc(0) (heap_4: NULL). */
void *pvPortMalloc(size_t xWantedSize)
{
    void *block = poolalloc_malloc(xWantedSize);
    traceMALLOC(block, xWantedSize);
    return malloc_result(block);
}

/* xNum * xSize bytes, zeroed; NULL on overflow or when no pool has a
 * block.  O(xNum * xSize) for the clear. */
void *pvPortCalloc(size_t xNum, size_t xSize)
{
    return malloc_result(poolalloc_calloc(xNum, xSize));
}

/* Give back a block of pvPortMalloc's (NULL: nothing).  O(1). */
void vPortFree(void *pv)
{
    if (pv == NULL)
        return;
    traceFREE(pv, 0);
    poolalloc_free(pv);
}

/* The pools need no initialisation. */
void vPortInitialiseBlocks(void)
{
}

/* heap_N's "forget every block" before a scheduler restart: poolalloc's
 * blocks stay allocated until they are freed (there is no reset of the
 * pools), so this does nothing; free what the tasks held before. */
void vPortHeapResetState(void)
{
}

/* The default region's pools, added up. */
struct heap_totals {
    size_t free_bytes, free_blocks, least_free_bytes, largest, smallest;
};

static struct heap_totals heap_totals(void)
{
    struct heap_totals t = { 0, 0, 0, 0, 0 };
    for (size_t k = 0; k < poolalloc_pool_count(); k++) {
        struct poolalloc_pool_info info;
        if (!poolalloc_pool_info(k, &info) || info.region != POOLALLOC_REGION_HEAP)
            continue;
        size_t free_blocks = info.capacity - info.in_use;
        t.free_blocks += free_blocks;
        t.free_bytes += free_blocks * info.block_size;
        /* A pool's high-water mark is a moment when that many of its blocks
         * were allocated; the sum over the pools is at least the most ever
         * allocated at once, so this is a lower bound of the least free. */
        t.least_free_bytes += (info.capacity - info.high_water) * info.block_size;
        if (free_blocks != 0) {
            t.largest = info.block_size; /* pools ascend by block size */
            if (t.smallest == 0)
                t.smallest = info.block_size;
        }
    }
    return t;
}

/* Bytes in the free blocks of the default region's pools. */
size_t xPortGetFreeHeapSize(void)
{
    return heap_totals().free_bytes;
}

/* A lower bound of the fewest free bytes there ever were (see heap_totals);
 * exact when one pool serves everything. */
size_t xPortGetMinimumEverFreeHeapSize(void)
{
    return heap_totals().least_free_bytes;
}

/* The high-water marks never go down (they are where never-used blocks
 * begin): nothing to reset. */
void xPortResetHeapMinimumEverFreeHeapSize(void)
{
}

/* The heap as HeapStats_t describes it, in blocks: the largest and smallest
 * free block are the block sizes of the largest and smallest pools that
 * have one.  The success counters are not kept (per-pool allocation counts:
 * poolalloc_stats() with -Dstats=true): 0. */
void vPortGetHeapStats(HeapStats_t *pxHeapStats)
{
    struct heap_totals t = heap_totals();
    pxHeapStats->xAvailableHeapSpaceInBytes = t.free_bytes;
    pxHeapStats->xSizeOfLargestFreeBlockInBytes = t.largest;
    pxHeapStats->xSizeOfSmallestFreeBlockInBytes = t.smallest;
    pxHeapStats->xNumberOfFreeBlocks = t.free_blocks;
    pxHeapStats->xMinimumEverFreeBytesRemaining = t.least_free_bytes;
    pxHeapStats->xNumberOfSuccessfulAllocations = 0;
    pxHeapStats->xNumberOfSuccessfulFrees = 0;
}
