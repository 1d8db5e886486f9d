/* SPDX-License-Identifier: MIT */
/*
 * Board support for test/preempt.c: SysTick (every Cortex-M) and one
 * peripheral timer (IRQ 8: the CMSDK TIMER0 of QEMU's mps2-an385, the nRF51
 * TIMER0 of the microbit; IRQ 3: the SSE-200's TIMER0 of the mps2-an505,
 * with BOARD_SSE200), both counting QEMU's virtual time, which -icount ties
 * to the instruction count.
 */
#ifndef PREEMPT_BOARD_H
#define PREEMPT_BOARD_H

#include <stdbool.h>
#include <stdint.h>

void board_init(void);                  /* priorities: timer above SysTick */
void board_systick_arm(uint32_t ticks); /* (re)start SysTick: fire `ticks` ahead */
void board_systick_stop(void);          /* stop it and drop a pending tick */
void board_systick_free_run(void);     /* count down from 2^24 - 1, no interrupt */
uint32_t board_systick_now(void);       /* the current count (counts down) */
void board_pendsv_set(void);            /* pend PendSV */
void board_sweep_init(void);            /* priorities: SysTick above PendSV */
void board_timer_start(uint32_t ticks);
void board_timer_ack(uint32_t next_ticks); /* from its handler: clear, fire again later */
void board_timer_stop(void);

static inline uint32_t board_irq_mask(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}

static inline void board_irq_restore(uint32_t primask)
{
    __asm__ volatile("msr primask, %0" : : "r"(primask) : "memory");
}

/* True inside an exception handler (IPSR holds its number). */
static inline bool board_in_handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    return ipsr != 0;
}

/* Provided by the test: what the handlers do (preempt_timer,
 * preempt_pendsv and preempt_svc default to a halt).  preempt_systick is
 * entered with the main stack's exception frame and LR = EXC_RETURN. */
void preempt_systick(const uint32_t *frame);
void preempt_timer(void);
void preempt_pendsv(void);
void preempt_svc(void);

#endif
