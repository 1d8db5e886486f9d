/* SPDX-License-Identifier: MIT */
/*
 * Preemption sweep under QEMU (picolibc, -icount shift=10): is every atomic
 * step of malloc, free, realloc and calloc atomic with respect to interrupt
 * handlers that use the same pool, wherever the interrupt lands?
 *
 * Algorithm.  Linked against a library built for this test with a one-pool
 * layout (test/sweep/meson.build: enough never-used blocks for every trial
 * of the bump path).  For each main call
 *     malloc-bump  the pool's free list empty, never-used blocks left
 *     malloc-pop   a few blocks on the free list
 *     free         (push) a few blocks on the free list
 *     realloc      in place, a few blocks on the free list
 *     calloc       a few blocks on the free list
 * and each handler
 *     keep    take a block and keep it
 *     give    free a block the handler holds
 *     aba     pop A, pop B, push A back, keep B
 *     nested  aba, interrupted by a second, higher-priority interrupt that
 *             takes a block and gives one back
 *     double  (free only) free the block main is freeing: exactly one of
 *             the two frees must be reported as a double free -- main's
 *             when the handler came first, the handler's when main's push
 *             was done -- and the block be on the free list once
 * trial after trial arms SysTick as a one-shot a little later each time:
 * with -icount every instruction takes the same virtual time and the step
 * is shorter than one instruction, so the interrupt lands after instruction
 * 1, 2, 3, ... of the call, until it fires only after the call returned.
 * SysTick's handler notes where main was and pends PendSV (lower priority),
 * which runs the handler at once, in the same place; for `nested` SysTick
 * re-arms itself to fire inside PendSV's work, at a different point each
 * trial.
 *
 * Proof.  An ownership map (owner of every block) is updated by whoever
 * receives or returns a block: a block handed out while owned is an error.
 * Every owned block carries its owner's pattern.  After every trial, with
 * nothing running, poolalloc_check() must find the free list sound and the
 * allocator's count of blocks in use must equal the map's (more: blocks
 * lost).  At the end every block must be allocatable exactly once.
 *
 * Spills.  Built with SWEEP_SPILL (test/sweep/spill/: pools of 8, 16 and 32
 * bytes, two blocks each), the calls and handlers are those of the
 * empty-pool map (src/spill.c), on the 16-byte pool "B":
 *     malloc-last    malloc(16) takes B's last block (and marks B empty)
 *     malloc-spill   malloc(8), its pool full, spills into B's last block
 *     free-into      free a block of B while B has one block left
 *  x  keep           the handler takes a block of 16 bytes (B's, or C's)
 *     give           the handler frees a block of B it holds
 * After each trial, before anything is given back, 8-byte requests must
 * get exactly as many blocks as the pools have left: a pool marked empty
 * while it has a block (a stale bit) makes a spill skip it, which is a
 * false ENOMEM here, counted with the lost blocks.
 *
 * Regions.  Built with SWEEP_REGION = N > 0 (test/sweep/regions/: a heap
 * pool and one pool in region N), the pool under test is region N's: the
 * blocks come from poolalloc_malloc_in(N, ...), go back through free(),
 * which finds their region by address, and realloc stays in the region;
 * calloc, which serves the default region only, is not swept there.
 *
 * Coverage.  Each combination prints the call's instruction count (timed
 * with SysTick, uninterrupted), how many instruction positions the
 * interrupt was requested at, and at how many distinct instructions main
 * was interrupted (equal on llsc; on irq an interrupt requested inside a
 * masked section is taken at its end).  It fails when fewer positions than
 * the call's instructions were reached, or when the last trial did not fire
 * after the call returned.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "poolalloc.h"
#include "pools.h"
#include "preempt_board.h"

#ifndef SWEEP_REGION
#define SWEEP_REGION 0 /* the region of the pool under test */
#endif
#ifndef SWEEP_SPILL
#define SWEEP_SPILL 0 /* the empty-pool map's calls, on three pools */
#endif
#define MAX_TRACKED 4096
#define MAX_TRIALS 2000
#define MAX_PARKED 1024
#define POP_LIST 3             /* blocks on the free list for the pop paths */
#define NESTED_STEP 13         /* instructions between nested positions */
#define NESTED_SPAN 400        /* instructions of the first handler's work, and more */

enum owner { FREE = 0, MAIN = 1, FIRST = 2, SECOND = 3 };

#include "ownership.h"

enum call { CALL_NONE, MALLOC_BUMP, MALLOC_POP, FREE_PUSH, REALLOC_IN_PLACE, CALLOC,
             MALLOC_LAST, MALLOC_SPILL, FREE_INTO };
enum handler { KEEP, GIVE, ABA, NESTED, DOUBLE };
static const char *const call_name[] = { "none",   "malloc-bump", "malloc-pop",   "free",     "realloc",
                                         "calloc", "malloc-last", "malloc-spill", "free-into" };
static const char *const handler_name[] = { "keep", "give", "aba", "nested", "double" };

static volatile unsigned lost_blocks, pattern_errors;

/* The pools under test, read once: one (the sweep's), or three (SWEEP_SPILL). */
#define MAX_POOLS 3
static unsigned pools_tested;
static uintptr_t pool_first[MAX_POOLS], pool_limit[MAX_POOLS];
static size_t pool_block[MAX_POOLS], pool_map_base[MAX_POOLS];
static size_t block;    /* the block size main and the handlers ask for (SWEEP_SPILL: B's) */
static size_t capacity; /* the blocks of all pools under test */

/* Which pool under test holds p; pools_tested when none does. */
static unsigned tested_pool_of(const void *p)
{
    uintptr_t address = (uintptr_t)p;
    for (unsigned i = 0; i < pools_tested; i++)
        if (address >= pool_first[i] && address < pool_limit[i] && (address - pool_first[i]) % pool_block[i] == 0)
            return i;
    return pools_tested;
}

static size_t block_number(const void *p)
{
    unsigned i = tested_pool_of(p);
    return i < pools_tested ? pool_map_base[i] + ((uintptr_t)p - pool_first[i]) / pool_block[i] : MAX_TRACKED;
}

static size_t size_of_block(const void *p)
{
    unsigned i = tested_pool_of(p);
    return i < pools_tested ? pool_block[i] : 0;
}

static unsigned char mark_of(const void *p, enum owner who)
{
    return (unsigned char)(((uintptr_t)p >> 3) * 7u + (unsigned)who * 64u + 1u);
}

/* The pool under test: its index, and a block from its region. */
static unsigned pool_under_test;

static void *allocate(size_t size)
{
#if SWEEP_REGION
    return poolalloc_malloc_in(SWEEP_REGION, size);
#else
    return malloc(size);
#endif
}

static void *take(size_t size, enum owner who)
{
    void *p = allocate(size);
    if (p != NULL) {
        claim(p, who);
        memset(p, mark_of(p, who), size_of_block(p));
    }
    return p;
}

static void give(void *p, enum owner who)
{
    const unsigned char *bytes = p;
    for (size_t i = 0; i < size_of_block(p); i++)
        if (bytes[i] != mark_of(p, who)) {
            pattern_errors++;
            break;
        }
    release(p, who);
    free(p);
}

/* ---- The handlers ---------------------------------------------------------- */

#define HELD 4
struct holder {
    enum owner who;
    void *volatile held[HELD];
    volatile unsigned count;
};

static struct holder first = { .who = FIRST }, second = { .who = SECOND };

static void hold(struct holder *h, void *p)
{
    if (p != NULL)
        h->held[h->count++] = p;
}

static void *unhold(struct holder *h)
{
    return h->count == 0 ? NULL : h->held[--h->count];
}

static volatile enum handler handler_kind;
static void *volatile double_target; /* main's block, for the `double` handler */
static volatile int in_call;              /* main is inside the call under test */
static volatile int first_in_call;        /* PendSV is inside an allocator call */
static volatile int fired, fired_in_call, first_done, nested_armed, nested_fired, nested_inside;
static volatile uint32_t interrupted_pc, nested_delay;

static void aba(struct holder *h)
{
    first_in_call = 1;
    void *a = take(block, h->who);
    void *b = take(block, h->who);
    if (a != NULL)
        give(a, h->who);
    first_in_call = 0;
    hold(h, b);
}

void preempt_systick(const uint32_t *frame)
{
    board_systick_stop();
    if (nested_armed) { /* the second interrupt: take one, give one back */
        nested_armed = 0;
        nested_inside = first_in_call;
        hold(&second, take(block, SECOND));
        void *p = second.count > 1 ? second.held[0] : NULL;
        if (p != NULL) {
            second.held[0] = unhold(&second);
            give(p, SECOND);
        }
        nested_fired = 1;
        return;
    }
    interrupted_pc = frame[6]; /* the stacked return address */
    fired_in_call = in_call;
    fired = 1;
    if (handler_kind == NESTED) {
        nested_armed = 1;
        board_systick_arm(nested_delay);
    }
    board_pendsv_set();
}

void preempt_pendsv(void)
{
    switch (handler_kind) {
    case KEEP:
        first_in_call = 1;
        hold(&first, take(block, FIRST));
        first_in_call = 0;
        break;
    case GIVE: {
        void *p = unhold(&first);
        if (p != NULL)
            give(p, FIRST);
        break;
    }
    case ABA:
    case NESTED:
        aba(&first);
        break;
    case DOUBLE:
        free(double_target);
        break;
    }
    first_done = 1;
}

/* ---- The pool's state before a trial --------------------------------------- */

static void *parked[MAX_PARKED]; /* blocks main holds to keep the free list empty */
static unsigned parked_count;

static size_t free_list_length(void)
{
    struct poolalloc_pool_info info = pool(pool_under_test);
    return info.high_water - info.in_use;
}

static size_t in_use_total(void)
{
    size_t n = 0;
    for (unsigned i = 0; i < pools_tested; i++)
        n += pool(pool_under_test + i).in_use;
    return n;
}

static size_t owned_blocks(void)
{
    size_t n = 0;
    for (size_t i = 0; i < capacity; i++)
        n += owner_of[i] != FREE;
    return n;
}

static bool preconditions_failed;

static void precondition(bool ok, const char *what)
{
    if (!ok && !preconditions_failed) {
        preconditions_failed = true;
        printf("precondition failed: %s\n", what);
    }
}

/* Bump path: empty the free list into `parked`; never-used blocks left. */
static void prepare_bump(void)
{
    while (free_list_length() > 0 && parked_count < MAX_PARKED)
        parked[parked_count++] = take(block, MAIN);
    precondition(free_list_length() == 0 && pool(pool_under_test).high_water < capacity,
                 "bump path: free list empty, never-used blocks left");
}

/* Pop path: POP_LIST blocks on the free list (parked ones first). */
static void prepare_pop(void)
{
    void *fresh[POP_LIST];
    unsigned n = 0;
    while (free_list_length() < POP_LIST && parked_count > 0)
        give(parked[--parked_count], MAIN);
    while (free_list_length() + n < POP_LIST && n < POP_LIST)
        fresh[n++] = take(block, MAIN);
    while (n > 0)
        give(fresh[--n], MAIN);
    precondition(free_list_length() >= POP_LIST, "pop path: blocks on the free list");
}

/* ---- A trial ----------------------------------------------------------------- */

/* The call under test, on its own so that it is timed and swept the same. */
static __attribute__((noinline)) void *run_call(enum call c, void *held)
{
    switch (c) {
    case CALL_NONE:
        return NULL;
    case MALLOC_BUMP:
    case MALLOC_POP:
        return allocate(block);
    case FREE_PUSH:
    case FREE_INTO:
        free(held);
        return NULL;
    case MALLOC_LAST:
        return allocate(block);
    case MALLOC_SPILL:
        return allocate(pool_block[0]);
    case REALLOC_IN_PLACE:
        return realloc(held, block);
    case CALLOC:
        return calloc(1, block);
    }
    return NULL;
}

/* Set the pool up for call c and handler h; returns main's block for free
 * and realloc (ownership passed to the call). */
static void *prepare_spill(enum call c, enum handler h);

static void *prepare(enum call c, enum handler h)
{
    if (SWEEP_SPILL)
        return prepare_spill(c, h);
    if (h == GIVE)
        hold(&first, take(block, FIRST));
    if (h == NESTED)
        hold(&second, take(block, SECOND));
    void *held = NULL;
    if (c == FREE_PUSH || c == REALLOC_IN_PLACE) {
        held = take(c == REALLOC_IN_PLACE ? block / 2 : block, MAIN);
        if (held != NULL)
            release(held, MAIN);
    }
    if (c == MALLOC_BUMP)
        prepare_bump();
    else
        prepare_pop();
    if (h == DOUBLE)
        double_target = held;
    return held;
}

/* ---- The spills' state before a trial ----------------------------------------- */

/* Blocks pool i (of those under test) can still hand out. */
static size_t available(unsigned i)
{
    struct poolalloc_pool_info info = pool(pool_under_test + i);
    return info.capacity - info.in_use;
}

/* Park blocks of pool i (with requests of its block size, which it
 * serves first) until it has `left` blocks. */
static void park_down_to(unsigned i, size_t left)
{
    while (available(i) > left && parked_count < MAX_PARKED)
        parked[parked_count++] = take(pool_block[i], MAIN);
}

/* From a heap with every block free: the handler's block of B for `give`,
 * main's block of B for free-into, pool A full for malloc-spill, then B
 * down to one block (none when the handler and main hold both). */
static void *prepare_spill(enum call c, enum handler h)
{
    while (parked_count > 0)
        give(parked[--parked_count], MAIN);
    if (h == GIVE)
        hold(&first, take(block, FIRST));
    void *held = NULL;
    if (c == FREE_INTO) {
        held = take(block, MAIN);
        if (held != NULL)
            release(held, MAIN);
    }
    if (c == MALLOC_SPILL)
        park_down_to(0, 0);
    park_down_to(1, 1);
    precondition(c != MALLOC_SPILL || available(0) == 0, "spill: the 8-byte pool full");
    precondition(available(1) == (c == FREE_INTO && h == GIVE ? 0 : 1), "spill: one block of 16 bytes left");
    precondition(available(2) == pool(pool_under_test + 2).capacity, "spill: the 32-byte pool free");
    return held;
}

/* Nothing running: 8-byte requests get every block the pools have left
 * (a pool marked empty that has one is skipped: a false ENOMEM).  The
 * blocks are given back. */
static void check_no_false_enomem(enum call c, enum handler h)
{
    size_t expected = available(0) + available(1) + available(2), got = 0;
    static void *taken[MAX_PARKED];
    void *p;
    while (got < MAX_PARKED && (p = take(pool_block[0], MAIN)) != NULL)
        taken[got++] = p;
    if (got < expected) {
        if (lost_blocks == 0)
            printf("first lost blocks: after %s x %s, %u blocks handed out of %u left (false ENOMEM)\n",
                   call_name[c], handler_name[h], (unsigned)got, (unsigned)expected);
        lost_blocks += (unsigned)(expected - got);
    }
    while (got > 0)
        give(taken[--got], MAIN);
}

/* Every block handed out once and given back: from then on every take is a
 * pop, in the timed call as in the trials. */
static void use_every_block(void)
{
    check_no_false_enomem(CALL_NONE, KEEP);
}

static void drain(struct holder *h)
{
    void *p;
    while ((p = unhold(h)) != NULL)
        give(p, h->who);
}

/* After a trial, nothing running: the list is sound and no block is lost. */
static void check_heap(enum call c, enum handler h)
{
    struct poolalloc_check_result damage;
    if (!poolalloc_check(&damage)) {
        if (ownership_errors++ == 0)
            printf("first ownership error: after %s x %s, %s at %p\n", call_name[c], handler_name[h],
                   poolalloc_fault_name(damage.kind), damage.ptr);
        return;
    }
    size_t in_use = in_use_total(), owned = owned_blocks();
    if (in_use > owned) {
        if (lost_blocks == 0)
            printf("first lost blocks: after %s x %s, %u in use, %u owned\n", call_name[c], handler_name[h],
                   (unsigned)in_use, (unsigned)owned);
        lost_blocks += (unsigned)(in_use - owned);
    } else if (in_use < owned) {
        if (ownership_errors++ == 0)
            printf("first ownership error: after %s x %s, %u in use, %u owned\n", call_name[c],
                   handler_name[h], (unsigned)in_use, (unsigned)owned);
    }
}

/* One trial with SysTick `delay` ticks ahead; true when it fired inside
 * the call's window. */
static bool trial(enum call c, enum handler h, uint32_t delay)
{
    void *held = prepare(c, h);
    fired = first_done = nested_fired = nested_inside = 0;
    expected_double_frees = h == DOUBLE;
    handler_kind = h;
    in_call = 1;
    board_systick_arm(delay);
    void *result = run_call(c, held);
    in_call = 0;
    while (!fired || !first_done || (h == NESTED && !nested_fired)) {
    }
    if (expected_double_frees != 0) {
        expected_double_frees = 0;
        if (ownership_errors++ == 0)
            printf("first ownership error: after %s x %s, the second free of %p was not reported\n", call_name[c],
                   handler_name[h], held);
    }
    if (SWEEP_SPILL)
        check_no_false_enomem(c, h);
    if (result != NULL) {
        claim(result, MAIN);
        const unsigned char *bytes = result;
        if (c == CALLOC)
            for (size_t i = 0; i < block; i++)
                pattern_errors += bytes[i] != 0;
        memset(result, mark_of(result, MAIN), size_of_block(result));
        give(result, MAIN);
    }
    drain(&first);
    drain(&second);
    check_heap(c, h);
    return fired_in_call;
}

/* ---- The sweep --------------------------------------------------------------- */

static uint32_t ticks_256; /* SysTick ticks of 256 instructions */

/* Not inlined: 256 instructions inside a larger function put Thumb-1's
 * literal loads out of reach (more than 1020 bytes) on Cortex-M0. */
static __attribute__((noinline)) void calibrate(void)
{
    board_systick_free_run();
    uint32_t t0 = board_systick_now();
    __asm__ volatile(".rept 256\n\tnop\n\t.endr" ::: "memory");
    uint32_t t1 = board_systick_now();
    uint32_t t2 = board_systick_now();
    board_systick_stop();
    ticks_256 = (t0 - t1) - (t1 - t2);
}

/* Instructions of call c, uninterrupted, in the state of the sweep. */
static unsigned instructions_of(enum call c, enum handler h)
{
    uint32_t ticks[2];
    for (int i = 0; i < 2; i++) {
        void *held = prepare(c, h);
        enum call timed = i == 0 ? c : CALL_NONE;
        board_systick_free_run();
        uint32_t t0 = board_systick_now();
        void *result = run_call(timed, held);
        uint32_t t1 = board_systick_now();
        board_systick_stop();
        ticks[i] = t0 - t1;
        if (result != NULL) {
            claim(result, MAIN);
            memset(result, mark_of(result, MAIN), size_of_block(result));
            give(result, MAIN);
        } else if (held != NULL && timed == CALL_NONE) {
            claim(held, MAIN);
            memset(held, mark_of(held, MAIN), size_of_block(held));
            give(held, MAIN);
        }
        drain(&first);
        drain(&second);
    }
    return (unsigned)(((ticks[0] - ticks[1]) * 256u + ticks_256 / 2) / ticks_256);
}

static void sweep(enum call c, enum handler h)
{
    uint32_t step = ticks_256 * 3 / (4 * 256); /* three quarters of an instruction */
    unsigned instructions = instructions_of(c, h);
    unsigned trials = 0, requested = 0, interrupted = 0, nested_in = 0;
    unsigned seconds_in_main = 0, seconds_in_handler = 0; /* reports while main's free ran */
    uint32_t last_pc = 0, last_slot = UINT32_MAX;
    bool first_inside = false, ended_after_return = false;
    for (uint32_t delay = 1; trials < MAX_TRIALS; delay += step) {
        nested_delay = 1 + (trials * NESTED_STEP * ticks_256 / 256) % (NESTED_SPAN * ticks_256 / 256);
        unsigned in_main_before = double_frees_in_main, in_handler_before = double_frees_in_handler;
        bool inside = trial(c, h, delay);
        trials++;
        if (trials == 1)
            first_inside = inside;
        if (ownership_errors != 0 || lost_blocks != 0 || preconditions_failed)
            break; /* the heap is broken: stop before it crashes */
        if (!inside) {
            ended_after_return = true;
            break;
        }
        uint32_t slot = (uint32_t)((uint64_t)delay * 256u / ticks_256);
        requested += slot != last_slot;
        last_slot = slot;
        interrupted += interrupted_pc != last_pc;
        last_pc = interrupted_pc;
        nested_in += nested_inside;
        seconds_in_main += double_frees_in_main - in_main_before;
        seconds_in_handler += double_frees_in_handler - in_handler_before;
    }
    printf("sweep %-11s x %-6s %4u trials, %3u instructions, %3u positions, %3u interrupted",
           call_name[c], handler_name[h], trials, instructions, requested, interrupted);
    if (h == NESTED)
        printf(", %3u nested in a call", nested_in);
    if (h == DOUBLE)
        printf(", interrupts inside the free: second free reported %u times in main, %u in the handler",
               seconds_in_main, seconds_in_handler);
    printf("; %u ownership errors, %u lost blocks\n", ownership_errors, lost_blocks);
    if (ownership_errors != 0 || lost_blocks != 0 || preconditions_failed)
        return;
    CHECK(first_inside && ended_after_return);
    CHECK(requested >= instructions);
#if SWEEP_SYNC_LLSC
    CHECK(interrupted >= instructions); /* llsc never masks */
#endif
    if (h == NESTED)
        CHECK(nested_in >= trials / 4);
    if (h == DOUBLE) /* both orders, with the interrupt inside main's free */
        CHECK(seconds_in_main > 0 && seconds_in_handler > 0);
}

/* The combinations of this build's layout, until the heap breaks. */
static void sweep_all(void)
{
#if SWEEP_SPILL
    static const enum call calls[] = { MALLOC_LAST, MALLOC_SPILL, FREE_INTO };
    static const enum handler handlers[] = { KEEP, GIVE };
#elif SWEEP_REGION /* calloc serves the default region only */
    static const enum call calls[] = { MALLOC_BUMP, MALLOC_POP, FREE_PUSH, REALLOC_IN_PLACE };
    static const enum handler handlers[] = { KEEP, GIVE, ABA, NESTED }; /* and free x double, below */
#else
    static const enum call calls[] = { MALLOC_BUMP, MALLOC_POP, FREE_PUSH, REALLOC_IN_PLACE, CALLOC };
    static const enum handler handlers[] = { KEEP, GIVE, ABA, NESTED }; /* and free x double, below */
#endif
    for (unsigned c = 0; c < sizeof calls / sizeof calls[0]; c++)
        for (unsigned h = 0; h < sizeof handlers / sizeof handlers[0]; h++)
            if (ownership_errors == 0 && lost_blocks == 0 && !preconditions_failed)
                sweep(calls[c], handlers[h]);
#if !SWEEP_SPILL
    /* Last: the broken push and early unmask fail here too, but must be
     * caught first by the patterns their rows in doc/atomicity.md name. */
    if (ownership_errors == 0 && lost_blocks == 0 && !preconditions_failed)
        sweep(FREE_PUSH, DOUBLE);
#endif
}

/* Every block allocatable exactly once, no more. */
static void final_check(void)
{
    while (parked_count > 0)
        give(parked[--parked_count], MAIN);
    size_t again = 0;
    void *p;
    while (again <= capacity && (p = allocate(pool_block[0])) != NULL) {
        claim(p, MAIN);
        again++;
    }
    if (again < capacity && capacity - again > lost_blocks) /* not found after a trial */
        lost_blocks = (unsigned)(capacity - again);
    printf("preempt-sweep: %u ownership errors (%u reported by the allocator), %u lost blocks, %u pattern "
           "errors; %u of %u blocks allocatable at the end\n",
           ownership_errors, allocator_faults, lost_blocks, pattern_errors, (unsigned)again, (unsigned)capacity);
    CHECK(again == capacity);
}

int main(void)
{
    while (pool_under_test < poolalloc_pool_count() && pool(pool_under_test).region != SWEEP_REGION)
        pool_under_test++;
    pools_tested = SWEEP_SPILL ? 3u : 1u;
    for (unsigned i = 0; i < pools_tested && pool_under_test + i < poolalloc_pool_count(); i++) {
        struct poolalloc_pool_info info = pool(pool_under_test + i);
        pool_first[i] = (uintptr_t)info.start;
        pool_limit[i] = (uintptr_t)info.end;
        pool_block[i] = info.block_size;
        pool_map_base[i] = capacity;
        capacity += info.capacity;
    }
    block = pool_block[SWEEP_SPILL ? 1 : 0];
    bool layout = SWEEP_SPILL ? pool_block[0] == 8 && block == 16 && pool_block[2] == 32 : block >= 16;
    if (!CHECK(poolalloc_pool_count() == pools_tested + SWEEP_REGION && capacity <= MAX_TRACKED && layout)) {
        printf("precondition failed: the sweep's layout (one pool per region, or 8, 16 and 32 bytes)\n");
        return check_finish("preempt-sweep");
    }
    board_sweep_init();
    calibrate();
    printf("preempt-sweep: %u SysTick ticks per 256 instructions, step %u\n", (unsigned)ticks_256,
           (unsigned)(ticks_256 * 3 / (4 * 256)));
    /* At least 2 ticks per instruction: a step of at least one tick that
     * is shorter than one instruction (needs -icount). */
    precondition(ticks_256 >= 2 * 256, "SysTick counts instructions (run under -icount shift=10)");
    if (SWEEP_SPILL)
        use_every_block();
    sweep_all();
    CHECK(!preconditions_failed);
    if (ownership_errors == 0 && !preconditions_failed)
        final_check();
    CHECK(ownership_errors == 0);
    CHECK(lost_blocks == 0);
    CHECK(pattern_errors == 0);
    return check_finish("preempt-sweep");
}
