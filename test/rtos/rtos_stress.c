/* SPDX-License-Identifier: MIT */
/*
 * FreeRTOS stress test (QEMU, -icount shift=3): is poolalloc atomic under
 * an RTOS, from tasks and an interrupt handler at once, with nothing around
 * the calls (src/freertos/heap_poolalloc.c takes no lock)?
 *
 * RTOS_WORKERS worker tasks -- three at priority 1, time-sliced at a tick
 * every RTOS_TICK_INSTRUCTIONS instructions or so, one at priority 2 that
 * sleeps a tick every few calls and so preempts the others when it wakes
 * -- each make RTOS_OPS random calls: malloc, calloc, pvPortMalloc,
 * pvPortCalloc, C++ new[] (worker 0, when the toolchain has C++), realloc (in place and moving), free,
 * vPortFree, delete[], holding up to HELD blocks of 1 to 96 bytes.  The
 * board timer interrupts at pseudo-random intervals, above
 * configMAX_SYSCALL_INTERRUPT_PRIORITY (no kernel critical section holds
 * it off), and runs the ABA pattern on a random size (pop A, pop B, push A
 * back, keep B); a worker frees what it kept.  A control task (priority 4)
 * waits for the workers, then checks.
 *
 * Proof.  The ownership map of test/ownership.h (owner of every block;
 * handed out while owned, or returned by another than its owner, is an
 * error), an owner's pattern in every held block, checked before it goes
 * back; at the end, poolalloc_check() on the quiet heap, no block in use
 * (more: lost blocks) and every block allocatable again exactly once.  The
 * malloc-failed hook must have run once per NULL of pvPortMalloc and
 * pvPortCalloc.
 *
 * Where the preemptions land: SysTick (the kernel's tick) notes whether the
 * instruction it interrupted was the allocator's (between the marker
 * functions linked around its archive, test/rtos/text_mark.c) and whether
 * the tick then switched tasks (PendSV pending); the first count must reach
 * RTOS_MIN_IN_ALLOCATOR, the second a quarter of it.
 *
 * Teeth: against a library with sync=none (no atomicity at all) it must
 * fail with ownership errors or lost blocks (test/expect_ownership_errors.py),
 * not a hang or a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"

#include "check.h"
#include "poolalloc.h"
#include "pools.h"
#include "preempt_board.h"

#ifndef RTOS_OPS
#define RTOS_OPS 100000
#endif
#ifndef RTOS_MIN_IN_ALLOCATOR
#define RTOS_MIN_IN_ALLOCATOR 1000
#endif
#define RTOS_WORKERS 4
#define HELD 16
#define ISR_HELD 8
#define MAX_TRACKED 4096
/* Board timer intervals, in timer counts (25 MHz mps2, 16 MHz nRF51: 3 or
 * 2 counts per instruction at shift=3). */
#define TIMER_MIN 2000u
#define TIMER_SPAN 8000u

enum owner { FREE = 0, WORKER0 = 1, TIMER = 1 + RTOS_WORKERS, CONTROL };

static size_t block_number(const void *p);
#include "ownership.h"

#if RTOS_CPP
void *rtos_new(size_t size); /* rtos_cpp.cpp: new[] and delete[] */
void rtos_delete(void *block);
#else
#define rtos_new malloc
#define rtos_delete free
#endif

static volatile unsigned pattern_errors, port_nulls, malloc_failed_hooks;

/* A heap the test has found broken is not used any more: each context
 * stops before touching another block. */
static bool broken(void)
{
    return ownership_errors != 0 || pattern_errors != 0;
}

/* One more on a counter several tasks raise: a task switch between the
 * load and the store of a plain ++ would lose the other task's count. */
static void count_shared(volatile unsigned *counter)
{
    taskENTER_CRITICAL();
    ++*counter;
    taskEXIT_CRITICAL();
}

void vApplicationMallocFailedHook(void)
{
    count_shared(&malloc_failed_hooks);
}

void vApplicationStackOverflowHook(TaskHandle_t task, char *name)
{
    (void)task;
    printf("rtos: stack overflow in task %s\n", name);
    exit(2);
}

void rtos_assert_failed(const char *file, int line)
{
    printf("rtos: configASSERT failed at %s:%d\n", file, line);
    exit(2);
}

/* ---- The layout, cached --------------------------------------------------- */

static size_t pool_count, blocks;
static uintptr_t pool_start[32], pool_end[32];
static size_t pool_block[32], first_block_of[32];

static size_t block_number(const void *p)
{
    uintptr_t address = (uintptr_t)p;
    for (size_t k = 0; k < pool_count; k++)
        if (address >= pool_start[k] && address < pool_end[k])
            return first_block_of[k] + (address - pool_start[k]) / pool_block[k];
    return MAX_TRACKED;
}

static unsigned char mark_of(const void *p, enum owner who)
{
    return (unsigned char)(((uintptr_t)p >> 3) * 7u + (unsigned)who * 32u + 1u);
}

static void verify(const void *p, size_t size, enum owner who)
{
    const unsigned char *bytes = p;
    for (size_t i = 0; i < size; i++)
        if (bytes[i] != mark_of(p, who)) {
            if (pattern_errors++ == 0)
                printf("first pattern error: block %p of %d\n", p, (int)who);
            return;
        }
}

/* Take ownership of a block just received and mark it; false (nothing
 * written) when it was not ours to take. */
static bool receive(void *p, size_t size, enum owner who)
{
    unsigned before = ownership_errors;
    claim(p, who);
    if (ownership_errors != before)
        return false;
    memset(p, mark_of(p, who), size);
    return true;
}

static uint32_t next_random(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

/* ---- Where SysTick lands --------------------------------------------------- */

void rtos_allocator_text_begin(void);
void rtos_allocator_text_end(void);
void rtos_port_tick(void); /* the port's tick handler (FreeRTOSConfig.h) */
static uintptr_t allocator_begin, allocator_end;

/* The address of a function's first instruction (without the Thumb bit). */
static uintptr_t code_address(void (*function)(void))
{
    return (uintptr_t)function & ~(uintptr_t)1;
}

static bool is_allocator_code(uintptr_t pc)
{
    return pc >= allocator_begin && pc < allocator_end;
}

static volatile unsigned long ticks, ticks_in_allocator, switches_in_allocator;

#define ICSR (*(volatile uint32_t *)0xE000ED04u)
#define ICSR_PENDSVSET (1u << 28)

/* SysTick, entered from test/preempt_board.c with the main stack's frame
 * and LR = EXC_RETURN (bit 2: the interrupted code used the process stack,
 * i.e. a task). */
void preempt_systick(const uint32_t *main_frame)
{
    uint32_t exc_return = (uint32_t)(uintptr_t)__builtin_return_address(0);
    const uint32_t *frame = main_frame;
    if (exc_return & 4u)
        __asm__ volatile("mrs %0, psp" : "=r"(frame));
    uintptr_t pc = frame[6];
    bool in_allocator = is_allocator_code(pc);
    ticks++;
    rtos_port_tick();
    if (in_allocator) {
        ticks_in_allocator++;
        if (ICSR & ICSR_PENDSVSET) /* the kernel switches tasks on the way out */
            switches_in_allocator++;
    }
}

/* ---- The board timer's handler ---------------------------------------------- */

static void *volatile isr_held[ISR_HELD];
static size_t isr_size[ISR_HELD];
static volatile unsigned isr_count;
static volatile unsigned long timer_runs;
static volatile int timer_running;
static uint32_t timer_random = 67890;

void preempt_timer(void)
{
    board_timer_ack(TIMER_MIN + next_random(&timer_random) % TIMER_SPAN);
    if (!timer_running || broken())
        return;
    timer_runs++;
    size_t size = 1 + next_random(&timer_random) % 96;
    void *a = malloc(size);
    void *b = malloc(size);
    if (a != NULL && receive(a, size, TIMER)) {
        verify(a, size, TIMER);
        release(a, TIMER);
        free(a);
    }
    if (b != NULL && receive(b, size, TIMER)) {
        if (isr_count < ISR_HELD) {
            isr_held[isr_count] = b;
            isr_size[isr_count] = size;
            isr_count++;
        } else {
            release(b, TIMER);
            free(b);
        }
    }
}

/* A task frees what the handler kept (masked only to take the list). */
static void drain_timer(void)
{
    void *taken[ISR_HELD];
    size_t sizes[ISR_HELD];
    uint32_t saved = board_irq_mask();
    unsigned n = isr_count;
    for (unsigned i = 0; i < n; i++) {
        taken[i] = isr_held[i];
        sizes[i] = isr_size[i];
    }
    isr_count = 0;
    board_irq_restore(saved);
    for (unsigned i = 0; i < n; i++) {
        verify(taken[i], sizes[i], TIMER);
        release(taken[i], TIMER);
        free(taken[i]);
    }
}

/* ---- The workers --------------------------------------------------------------- */

enum how { BY_LIBC, BY_PORT, BY_NEW };

struct worker {
    enum owner who;
    uint32_t random;
    unsigned long ops, nulls;
    volatile int done;
    void *held[HELD];
    size_t size[HELD];
    enum how how[HELD];
};

static struct worker workers[RTOS_WORKERS];

static void give_back(struct worker *w, unsigned slot, uint32_t r)
{
    verify(w->held[slot], w->size[slot], w->who);
    release(w->held[slot], w->who);
    if (w->how[slot] == BY_NEW)
        rtos_delete(w->held[slot]);
    else if (r & 1u)
        vPortFree(w->held[slot]);
    else
        free(w->held[slot]);
    w->held[slot] = NULL;
}

static void worker_task(void *arg)
{
    struct worker *w = arg;
    unsigned index = (unsigned)w->who - WORKER0;
    for (unsigned long op = 0; op < RTOS_OPS && !broken(); op++) {
        drain_timer();
        w->ops++;
        uint32_t r = next_random(&w->random);
        unsigned slot = r % HELD;
        size_t size = 1 + (r >> 8) % 96;
        unsigned choice = (r >> 16) % 8;
        if (w->held[slot] != NULL) {
            if (choice < 2 && w->how[slot] != BY_NEW) {
                verify(w->held[slot], w->size[slot] < size ? w->size[slot] : size, w->who);
                release(w->held[slot], w->who);
                void *moved = realloc(w->held[slot], size);
                if (moved == NULL) { /* still ours, unchanged */
                    w->nulls++;
                    moved = w->held[slot];
                    size = w->size[slot];
                }
                if (!receive(moved, size, w->who))
                    break;
                w->held[slot] = moved;
                w->size[slot] = size;
            } else
                give_back(w, slot, r >> 24);
        } else {
            void *p;
            enum how how = BY_LIBC;
            if (choice == 0)
                p = malloc(size);
            else if (choice == 1)
                p = calloc(1, size);
            else if (choice == 2 && index == 0) {
                /* At most 64 bytes: a request that falls back as far as
                 * the 1024-byte pool, which on the default layout never
                 * fails with what the test holds.  (libstdc++'s
                 * nothrow new catches the bad_alloc of its throwing new,
                 * and the exception itself needs a block: on a full heap
                 * it calls std::terminate.) */
                size = 1 + size % 64;
                p = rtos_new(size);
                how = BY_NEW;
            } else {
                how = BY_PORT;
                p = choice & 1u ? pvPortCalloc(1, size) : pvPortMalloc(size);
                if (p == NULL)
                    count_shared(&port_nulls);
            }
            if (p == NULL) {
                w->nulls++;
                continue;
            }
            if (!receive(p, size, w->who))
                break;
            w->held[slot] = p;
            w->size[slot] = size;
            w->how[slot] = how;
        }
        if (index == RTOS_WORKERS - 1 && op % 16 == 0)
            vTaskDelay(1); /* wakes at a tick and preempts the others */
    }
    for (unsigned slot = 0; slot < HELD && !broken(); slot++)
        if (w->held[slot] != NULL)
            give_back(w, slot, slot);
    w->done = 1;
    vTaskSuspend(NULL);
}

/* ---- A HardFault --------------------------------------------------------------- */

/* A heap broken by a race can make malloc write through a user's bytes
 * taken for a link before any owner sees the block (a checks=fast take
 * clears the block's mark word).  The fault is then reported with what the
 * heap looks like: poolalloc_check() (it only reads, and stops at the
 * first entry outside its pool) counts a damaged free list as an ownership
 * error.  Always a failure. */
void rtos_hardfault(void)
{
    (void)board_irq_mask();
    printf("rtos: HardFault\n");
    struct poolalloc_check_result damage;
    if (!poolalloc_check(&damage) && ownership_errors++ == 0)
        printf("first ownership error: a damaged free list: pool %u: %s at %p\n", (unsigned)damage.pool,
               poolalloc_fault_name(damage.kind), damage.ptr);
    CHECK(!"HardFault");
    CHECK(ownership_errors == 0);
    CHECK(pattern_errors == 0);
    printf("rtos: %u ownership errors (%u reported by the allocator), %u pattern errors, at the HardFault\n",
           ownership_errors, allocator_faults, pattern_errors);
    exit(check_finish("rtos"));
}

/* ---- Control ------------------------------------------------------------------- */

static bool workers_done(void)
{
    for (unsigned i = 0; i < RTOS_WORKERS; i++)
        if (!workers[i].done)
            return false;
    return true;
}

static void control_task(void *arg)
{
    (void)arg;
    timer_running = 1;
    board_timer_start(TIMER_MIN);
    while (!workers_done() && !broken())
        vTaskDelay(50);
    if (broken()) /* let the others see it and stop */
        vTaskDelay(50);
    timer_running = 0;
    board_timer_stop();
    vTaskSuspendAll(); /* nothing runs from here on */
    unsigned long ops = 0, nulls = 0;
    for (unsigned i = 0; i < RTOS_WORKERS; i++) {
        ops += workers[i].ops;
        nulls += workers[i].nulls;
    }
    if (!broken())
        drain_timer();
    printf("rtos: %lu calls by %u tasks (%lu failed for lack of memory), %lu timer interrupts\n", ops,
           (unsigned)RTOS_WORKERS, nulls, timer_runs);
    printf("rtos: %lu ticks, %lu landed inside the allocator, %lu of them switched tasks there\n", ticks,
           ticks_in_allocator, switches_in_allocator);

    size_t lost = 0, again = 0;
    struct poolalloc_check_result damage;
    if (!poolalloc_check(&damage)) {
        if (ownership_errors++ == 0)
            printf("first ownership error: a damaged free list: pool %u: %s at %p\n", (unsigned)damage.pool,
                   poolalloc_fault_name(damage.kind), damage.ptr);
    } else if (!broken()) {
        lost = total_in_use();
        for (size_t k = pool_count; k-- > 0;) {
            void *p;
            while (again <= blocks && (p = malloc(pool(k).block_size)) != NULL) {
                unsigned before = ownership_errors;
                claim(p, CONTROL);
                if (ownership_errors != before)
                    break;
                again++;
            }
        }
        if (again < blocks && lost == 0)
            lost = blocks - again;
    }
    if (!broken()) {
        CHECK(workers_done());
        CHECK(ops == (unsigned long)RTOS_OPS * RTOS_WORKERS);
        CHECK(ticks_in_allocator >= RTOS_MIN_IN_ALLOCATOR);
        CHECK(switches_in_allocator >= RTOS_MIN_IN_ALLOCATOR / 4);
        CHECK(timer_runs >= RTOS_MIN_IN_ALLOCATOR);
        CHECK(malloc_failed_hooks == port_nulls);
    }
    CHECK(ownership_errors == 0);
    CHECK(pattern_errors == 0);
    CHECK(lost == 0);
    CHECK(again == blocks);
    printf("rtos: %u ownership errors (%u reported by the allocator), %u lost blocks, %u pattern errors; "
           "%u of %u blocks allocatable at the end\n",
           ownership_errors, allocator_faults, (unsigned)lost, pattern_errors, (unsigned)again, (unsigned)blocks);
    exit(check_finish("rtos"));
}

static StaticTask_t worker_tcb[RTOS_WORKERS], control_tcb;
static StackType_t worker_stack[RTOS_WORKERS][512], control_stack[768];

int main(void)
{
    pool_count = malloc_pool_count();
    for (size_t k = 0; k < pool_count && k < 32; k++) {
        struct poolalloc_pool_info info = pool(k);
        pool_start[k] = (uintptr_t)info.start;
        pool_end[k] = (uintptr_t)info.end;
        pool_block[k] = info.block_size;
        first_block_of[k] = blocks;
        blocks += info.capacity;
    }
    if (!CHECK(blocks <= MAX_TRACKED && pool_count == poolalloc_pool_count() && pool_count <= 32 &&
               total_in_use() == 0))
        return check_finish("rtos");
    /* The allocator's code lies between the markers: its entry points do. */
    allocator_begin = code_address(rtos_allocator_text_begin);
    allocator_end = code_address(rtos_allocator_text_end);
    void (*const entries[])(void) = { (void (*)(void))malloc, (void (*)(void))free, (void (*)(void))calloc,
                                      (void (*)(void))realloc };
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
        if (!CHECK(is_allocator_code(code_address(entries[i]))))
            return check_finish("rtos");

    board_init(); /* the timer's priority; the kernel sets SysTick's and PendSV's */
    for (unsigned i = 0; i < RTOS_WORKERS; i++) {
        workers[i].who = (enum owner)(WORKER0 + i);
        workers[i].random = 12345u + 7919u * i;
        char name[] = { 'w', (char)('0' + i), 0 };
        xTaskCreateStatic(worker_task, name, 512, &workers[i], i == RTOS_WORKERS - 1 ? 2 : 1, worker_stack[i],
                          &worker_tcb[i]);
    }
    xTaskCreateStatic(control_task, "control", 768, NULL, 4, control_stack, &control_tcb);
    vTaskStartScheduler();
    printf("rtos: the scheduler returned\n");
    return 1;
}
