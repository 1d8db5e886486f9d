/* SPDX-License-Identifier: MIT */
/*
 * Example firmware with a DMA-buffer region: a receive path whose buffers
 * must lie in DMA-capable RAM, while everything else uses the ordinary heap.
 *
 * Algorithm: the layout has a region named dma (-Dregions=dma:START:END and
 * pools entries dma@BLOCK:CAPACITY).  The driver takes its receive buffers
 * from it with poolalloc_malloc_in(POOLALLOC_REGION_DMA, n); the packets it
 * hands on are ordinary objects from malloc, in the default region.  A
 * simulated DMA transfer fills each buffer, the packet copies it, and
 * both are released through free, which finds every block's pool (and
 * region) from its address.  The pool table, with each pool's region, is
 * printed while the buffers are held and after they are all freed.  The
 * exit status says whether every block came from the region it should.
 *
 * Built and run by the test example-dma-region (examples/meson.build) and
 * by doc/integration.md, "A DMA-buffer region".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poolalloc.h"

#define RX_BUFFERS 4
#define RX_BUFFER_BYTES 512

struct packet {
    size_t length;
    unsigned char payload[48];
};

/* Region of the pool holding ptr; POOLALLOC_REGION_COUNT when none. */
static unsigned region_of(const void *ptr)
{
    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++)
        if ((const char *)ptr >= (const char *)info.start && (const char *)ptr < (const char *)info.end)
            return info.region;
    return POOLALLOC_REGION_COUNT;
}

static const char *region_name(unsigned region)
{
    return region == POOLALLOC_REGION_DMA ? "dma" : region == POOLALLOC_REGION_HEAP ? "heap" : "?";
}

static void print_pools(const char *when)
{
    printf("\npools %s:\n  pool  region   block  capacity  in use  start\n", when);
    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++)
        printf("  %4u  %-6s  %6u  %8u  %6u  %p\n", (unsigned)k, region_name(info.region),
               (unsigned)info.block_size, (unsigned)info.capacity, (unsigned)info.in_use, info.start);
}

/* What the DMA controller would do: fill the buffer, say how many bytes. */
static size_t dma_receive(unsigned char *buffer, unsigned frame)
{
    size_t length = 16 + 8 * frame;
    for (size_t i = 0; i < length; i++)
        buffer[i] = (unsigned char)(frame + i);
    return length;
}

int main(void)
{
    bool ok = true;
    unsigned char *rx[RX_BUFFERS];
    struct packet *packets[RX_BUFFERS];

    for (unsigned i = 0; i < RX_BUFFERS; i++) {
        rx[i] = poolalloc_malloc_in(POOLALLOC_REGION_DMA, RX_BUFFER_BYTES);
        packets[i] = malloc(sizeof *packets[i]);
        if (rx[i] == NULL || packets[i] == NULL) {
            printf("out of memory at buffer %u\n", i);
            return 1;
        }
        ok &= region_of(rx[i]) == POOLALLOC_REGION_DMA && region_of(packets[i]) == POOLALLOC_REGION_HEAP;
        packets[i]->length = dma_receive(rx[i], i);
        memcpy(packets[i]->payload, rx[i], packets[i]->length);
        printf("frame %u: %u bytes, DMA buffer %p (%s), packet %p (%s)\n", i, (unsigned)packets[i]->length,
               (void *)rx[i], region_name(region_of(rx[i])), (void *)packets[i], region_name(region_of(packets[i])));
    }
    print_pools("with the buffers held");

    for (unsigned i = 0; i < RX_BUFFERS; i++) {
        free(rx[i]); /* a dma block, through the ordinary free */
        free(packets[i]);
    }
    print_pools("after free");

    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++)
        ok &= info.in_use == 0;
    printf("\ndma_region: %s\n", ok ? "every buffer in dma, every packet in heap, all freed" : "FAILED");
    return ok ? 0 : 1;
}
