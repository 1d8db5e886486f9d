/* SPDX-License-Identifier: MIT */
/*
 * Two cores, one heap (sync=lock): QEMU's mps2-an521, two Cortex-M33 cores
 * of an SSE-200, run with -smp 2 -accel tcg,thread=multi (each core a host
 * thread: real parallelism, no icount).
 *
 * Core 0 (picolibc's start-up, main) releases core 1 through the SSE-200
 * system control block: the address of core 1's vector table into
 * INITSVTOR1, then bit 1 of CPUWAIT cleared.  Both cores then make
 * DUALCORE_OPS random calls each -- malloc, calloc, realloc (in place and
 * moving) and free -- on sizes both use (pools 16 and 32) and sizes only
 * one uses (64 for core 0, 128 for core 1; a full pool spills into the
 * larger, shared ones), holding up to HELD blocks each.
 *
 * Proof.  An ownership map in shared RAM, updated by each core with an
 * atomic compare-and-swap (LDREXB/STREXB): a block handed out while owned,
 * or returned by another than its owner, is an ownership error.  Every
 * held block carries its owner's pattern, checked before it goes back.
 * After both cores are done: poolalloc_check() on the quiet heap, no block
 * in use (more: lost blocks), and every block allocatable again exactly
 * once.  The first error stops both cores (the heap is broken).
 *
 * The hooks: an LDREX/STREX spinlock with DMB after taking and before
 * releasing, inside a PRIMASK section (no interrupt handler of this test
 * allocates, but the recipe is the one the doc gives).  Built with
 * -DDUALCORE_BROKEN_HOOKS=1 the hooks take no lock (PRIMASK only, which is
 * per core): the test must then fail with ownership errors or lost blocks
 * (test/expect_ownership_errors.py), not a hang or a crash.
 *
 * Caution: QEMU emulates LDREX/STREX as a compare-and-swap of the loaded
 * value.  That is enough for the spinlock (a lock taken and given back
 * between our LDREX and STREX is free again: taking it is right), and the
 * allocator's own section holds no exclusive access; it is not enough to
 * show that sync=llsc is safe across cores (doc/atomicity.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "poolalloc.h"
#include "pools.h"

#ifndef DUALCORE_OPS
#define DUALCORE_OPS 200000
#endif
#ifndef DUALCORE_BROKEN_HOOKS
#define DUALCORE_BROKEN_HOOKS 0
#endif
#define HELD 24
#define MAX_TRACKED 1024
#define WAIT_SPINS 400000000u /* core 0 waits for core 1 at most this many loads */

#define REG(address) (*(volatile uint32_t *)(address))
#define SSE200_INITSVTOR1 REG(0x50021114u)
#define SSE200_CPUWAIT REG(0x50021118u)
#define SCB_VTOR REG(0xE000ED08u)

static inline void dmb(void)
{
    __asm__ volatile("dmb" : : : "memory");
}

/* ---- The hooks ------------------------------------------------------------ */

static volatile uint32_t heap_lock; /* 0 free, 1 taken */
static volatile unsigned lock_contended;

uint32_t poolalloc_lock(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
#if !DUALCORE_BROKEN_HOOKS
    uint32_t failed;
    do {
        uint32_t taken;
        __asm__ volatile("ldrex %0, [%1]" : "=r"(taken) : "r"(&heap_lock) : "memory");
        if (taken != 0) {
            __asm__ volatile("clrex" : : : "memory");
            lock_contended++; /* under no lock: a statistic, not a proof */
            failed = 1;
            continue;
        }
        __asm__ volatile("strex %0, %2, [%1]" : "=&r"(failed) : "r"(&heap_lock), "r"(1u) : "memory");
    } while (failed != 0);
    dmb(); /* acquire: the previous holder's writes are seen from here on */
#endif
    return primask;
}

void poolalloc_unlock(uint32_t token)
{
#if !DUALCORE_BROKEN_HOOKS
    dmb(); /* release: our writes are seen before the lock is free */
    heap_lock = 0;
#endif
    __asm__ volatile("msr primask, %0" : : "r"(token) : "memory");
}

/* ---- Ownership, shared by both cores ------------------------------------ */

enum owner { FREE = 0, CORE0 = 1, CORE1 = 2 };

static uint8_t owner_of[MAX_TRACKED];
static volatile unsigned ownership_errors, pattern_errors, allocator_faults;
static volatile int stop;   /* the heap is broken: both cores stop */

static size_t pool_count;
static uintptr_t pool_start[16], pool_end[16];
static size_t pool_block[16], first_block_of[16], blocks;

static size_t block_number(const void *p)
{
    uintptr_t address = (uintptr_t)p;
    for (size_t k = 0; k < pool_count; k++)
        if (address >= pool_start[k] && address < pool_end[k]) {
            if ((address - pool_start[k]) % pool_block[k] != 0)
                return MAX_TRACKED;
            return first_block_of[k] + (address - pool_start[k]) / pool_block[k];
        }
    return MAX_TRACKED;
}

/* The first error, said by core 0 only (two cores writing to semihosting
 * at once interleave their bytes). */
static const char *volatile first_what;
static const void *volatile first_block;
static volatile int first_core;

static void error(const char *what, const void *p, enum owner who)
{
    if (__atomic_fetch_add(&ownership_errors, 1, __ATOMIC_SEQ_CST) == 0) {
        first_block = p;
        first_core = (int)who - 1;
        first_what = what;
    }
    stop = 1;
}

/* p was handed to `who`: it must have been free. */
static bool claim(void *p, enum owner who)
{
    size_t n = block_number(p);
    uint8_t expected = FREE;
    if (n >= MAX_TRACKED ||
        !__atomic_compare_exchange_n(&owner_of[n], &expected, (uint8_t)who, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) {
        error("handed out while owned, to", p, who);
        return false;
    }
    return true;
}

/* `who` gives p back: it must be its owner. */
static void release(void *p, enum owner who)
{
    size_t n = block_number(p);
    uint8_t expected = (uint8_t)who;
    if (n >= MAX_TRACKED ||
        !__atomic_compare_exchange_n(&owner_of[n], &expected, FREE, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        error("returned by another than its owner,", p, who);
}

void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    (void)kind;
    (void)caller;
    __atomic_fetch_add(&allocator_faults, 1, __ATOMIC_SEQ_CST);
    error("refused by the allocator, from", ptr, CORE0);
}

static unsigned char mark_of(const void *p, enum owner who)
{
    return (unsigned char)(((uintptr_t)p >> 3) * 7u + (unsigned)who * 64u + 1u);
}

static void verify(const void *p, size_t size, enum owner who)
{
    const unsigned char *bytes = p;
    for (size_t i = 0; i < size; i++)
        if (bytes[i] != mark_of(p, who)) {
            __atomic_fetch_add(&pattern_errors, 1, __ATOMIC_SEQ_CST);
            stop = 1;
            return;
        }
}

/* ---- What each core does ---------------------------------------------------- */

struct core_run {
    enum owner who;
    size_t private_size; /* a size only this core asks for */
    uint32_t random;
    volatile unsigned long ops;
    unsigned long failures;
    volatile int started, done;
    unsigned long other_at_start, other_at_end; /* the other core's calls when this one started, ended */
};

static uint32_t next_random(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

/* Take ownership of a block just received and mark it; false (nothing
 * written) when it was not ours to take. */
static bool receive(void *p, size_t size, enum owner who)
{
    if (!claim(p, who))
        return false;
    memset(p, mark_of(p, who), size);
    return true;
}

static void hammer(struct core_run *run, const struct core_run *other)
{
    run->started = 1;
    run->other_at_start = other->ops;
    void *held[HELD] = { 0 };
    size_t held_size[HELD] = { 0 };
    enum owner who = run->who;
    for (unsigned long op = 0; op < DUALCORE_OPS && !stop; op++) {
        uint32_t r = next_random(&run->random);
        unsigned slot = r % HELD;
        /* 3 in 4 requests from the shared pools (16, 32), else private. */
        size_t size = (r >> 8) % 4 != 0 ? 1 + (r >> 12) % 32 : run->private_size - (r >> 12) % 8;
        run->ops++;
        if (held[slot] == NULL) {
            void *p = (r >> 20) % 4 == 0 ? calloc(1, size) : malloc(size);
            if (p == NULL) {
                run->failures++;
                continue;
            }
            if (!receive(p, size, who))
                break;
            held[slot] = p;
            held_size[slot] = size;
        } else if ((r >> 20) % 3 == 0) {
            verify(held[slot], held_size[slot] < size ? held_size[slot] : size, who);
            release(held[slot], who);
            void *moved = realloc(held[slot], size);
            if (moved == NULL) { /* still ours, unchanged */
                run->failures++;
                if (!receive(held[slot], held_size[slot], who))
                    break;
                continue;
            }
            held[slot] = moved;
            held_size[slot] = size;
            if (!receive(moved, size, who))
                break;
        } else {
            verify(held[slot], held_size[slot], who);
            release(held[slot], who);
            free(held[slot]);
            held[slot] = NULL;
        }
    }
    for (unsigned i = 0; i < HELD && !stop; i++)
        if (held[i] != NULL) {
            verify(held[i], held_size[i], who);
            release(held[i], who);
            free(held[i]);
        }
    run->other_at_end = other->ops;
    dmb();
    run->done = 1;
}

static struct core_run core0 = { .who = CORE0, .private_size = 64, .random = 12345 };
static struct core_run core1 = { .who = CORE1, .private_size = 128, .random = 67890 };

/* ---- Core 1's start-up ------------------------------------------------------- */

static volatile int core1_faulted;
static uint64_t core1_stack[512];

static volatile int core1_running;

static void core1_reset(void)
{
    core1_running = 1;
    while (!core0.started) /* start together: the runs must overlap */
        ;
    hammer(&core1, &core0);
    for (;;)
        __asm__ volatile("wfe");
}

static void core1_fault(void)
{
    core1_faulted = 1;
    for (;;) {
    }
}

typedef void (*handler)(void);
/* ARMv8-M: a vector table is 128-byte aligned at least. */
__attribute__((aligned(128))) static const struct {
    void *initial_sp;
    handler handlers[15]; // cppcheck-suppress unusedStructMember ; read by the core
} core1_vectors = {
    &core1_stack[512],
    { core1_reset, core1_fault, core1_fault, core1_fault, core1_fault, core1_fault, core1_fault, 0, 0, 0,
      core1_fault, core1_fault, 0, core1_fault, core1_fault },
};

/* ---- The verdict, on core 0 ------------------------------------------------- */

static volatile int core0_faulted;
static volatile uint32_t core0_fault_pc;

/* Wait for core 1 (bounded), check the quiet heap and print the summary;
 * returns main's status. */
static int finish(void)
{
    uint32_t spins = 0;
    while (!core1.done && !core1_faulted && spins < WAIT_SPINS)
        spins++;
    dmb();
    if (first_what != NULL)
        printf("first ownership error: block %p %s core %d\n", first_block, first_what, first_core);
    printf("dualcore: core 0 %lu calls (%lu failed for lack of memory), core 1 %lu calls (%lu failed), "
           "%u spins on a taken lock\n",
           core0.ops, core0.failures, core1.ops, core1.failures, lock_contended);
    if (core0_faulted || core1_faulted || !core1.done)
        printf("dualcore: %s\n", core0_faulted ? "core 0 FAULTED" : core1_faulted ? "core 1 FAULTED" : "core 1 did not finish");
    if (core0_faulted)
        printf("dualcore: core 0 fault at pc %p\n", (void *)(uintptr_t)core0_fault_pc);
    /* Overlap: each core saw the other make calls while it ran. */
    bool overlap = core0.other_at_end > core0.other_at_start && core1.other_at_end > core1.other_at_start;
    printf("dualcore: core 0 saw core 1 at calls %lu to %lu, core 1 saw core 0 at %lu to %lu%s\n",
           core0.other_at_start, core0.other_at_end, core1.other_at_start, core1.other_at_end,
           overlap ? "" : ": the runs did not overlap");
    CHECK(overlap || stop);
    CHECK(!core0_faulted);
    CHECK(!core1_faulted);
    CHECK(core1.done || core0_faulted);
    if (!stop) { /* both ran to the end: every call was made */
        CHECK(core0.ops == DUALCORE_OPS && core1.ops == DUALCORE_OPS);
        CHECK(lock_contended > 0 || DUALCORE_BROKEN_HOOKS); /* the cores did overlap */
    }

    /* Nothing runs now.  The lists must be sound before they are walked. */
    size_t lost = 0, again = 0;
    struct poolalloc_check_result damage;
    if (!poolalloc_check(&damage)) {
        error("in a damaged free list (poolalloc_check), seen by", damage.ptr, CORE0);
        printf("poolalloc_check: pool %u: %s at %p\n", (unsigned)damage.pool, poolalloc_fault_name(damage.kind),
               damage.ptr);
    } else if (ownership_errors == 0 && !core0_faulted) {
        lost = total_in_use();
        for (size_t k = pool_count; k-- > 0;) {
            void *p;
            while (again <= blocks && (p = malloc(pool(k).block_size)) != NULL) {
                if (!claim(p, CORE0))
                    break;
                again++;
            }
        }
        if (again < blocks && lost == 0)
            lost = blocks - again;
    }
    CHECK(ownership_errors == 0);
    CHECK(pattern_errors == 0);
    CHECK(lost == 0);
    CHECK(again == blocks);
    printf("dualcore: %u ownership errors (%u reported by the allocator), %u lost blocks, %u pattern errors; "
           "%u of %u blocks allocatable at the end\n",
           ownership_errors, allocator_faults, (unsigned)lost, pattern_errors, (unsigned)again, (unsigned)blocks);
    return check_finish("dualcore");
}

/* Core 0's HardFault (a broken heap can hand out a user's bytes as a link,
 * and the next pop follows it): say so, let core 1 finish or stop, and
 * give the verdict -- a failure, with whatever errors the cores found. */
static void core0_fault(void)
{
    const uint32_t *frame;
    __asm__ volatile("mrs %0, msp" : "=r"(frame));
    core0_fault_pc = frame[6];
    core0_faulted = 1;
    exit(finish());
}

__attribute__((aligned(128))) static const struct {
    void *initial_sp;
    handler handlers[15]; // cppcheck-suppress unusedStructMember ; read by the core
} core0_vectors = {
    0,
    { 0, core0_fault, core0_fault, core0_fault, core0_fault, core0_fault, core0_fault, 0, 0, 0,
      core0_fault, core0_fault, 0, core0_fault, core0_fault },
};

int main(void)
{
    pool_count = malloc_pool_count();
    for (size_t k = 0; k < pool_count && k < 16; k++) {
        struct poolalloc_pool_info info = pool(k);
        pool_start[k] = (uintptr_t)info.start;
        pool_end[k] = (uintptr_t)info.end;
        pool_block[k] = info.block_size;
        first_block_of[k] = blocks;
        blocks += info.capacity;
    }
    if (!CHECK(blocks <= MAX_TRACKED && pool_count == poolalloc_pool_count() && pool_count <= 16))
        return check_finish("dualcore");

    SCB_VTOR = (uint32_t)(uintptr_t)&core0_vectors;
    dmb();
    SSE200_INITSVTOR1 = (uint32_t)(uintptr_t)&core1_vectors;
    SSE200_CPUWAIT &= ~2u; /* release core 1 */
    uint32_t spins = 0;
    while (!core1_running && spins < WAIT_SPINS)
        spins++;
    hammer(&core0, &core1);
    return finish();
}
