/* SPDX-License-Identifier: MIT */
/*
 * Vector table and timers for test/preempt.c and test/preempt_sweep.c under
 * picolibc (whose own table stops at SysTick).  BOARD_MICROBIT selects the
 * nRF51 timer, BOARD_SSE200 the SSE-200's CMSDK timer 0 of the mps2-an505
 * (Secure alias, IRQ 3), otherwise the CMSDK timer of the mps2-an385.
 * SysTick and PendSV, which every Cortex-M has, are all the sweep uses; the
 * FreeRTOS test (test/rtos/) also puts its port's SVC handler here.
 */
#include <stdint.h>

#include "preempt_board.h"

#define REG(address) (*(volatile uint32_t *)(address))

#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define ICSR REG(0xE000ED04u)
#define SHPR3 REG(0xE000ED20u)
#define ICSR_PENDSVSET (1u << 28)
#define NVIC_ISER0 REG(0xE000E100u)
#define NVIC_ICPR0 REG(0xE000E280u)
#if BOARD_SSE200
#define TIMER_IRQ 3u
#else
#define TIMER_IRQ 8u
#endif
/* The word of NVIC_IPR that holds TIMER_IRQ's priority byte (ARMv6-M
 * allows word accesses only). */
#define NVIC_IPR_TIMER REG(0xE000E400u + 4u * (TIMER_IRQ / 4u))
#define TIMER_PRIORITY_SHIFT (8u * (TIMER_IRQ % 4u))

#if BOARD_MICROBIT
#define TIMER_BASE 0x40008000u
#define TIMER_START REG(TIMER_BASE + 0x000u)
#define TIMER_STOP REG(TIMER_BASE + 0x004u)
#define TIMER_CLEAR REG(TIMER_BASE + 0x00Cu)
#define TIMER_COMPARE0 REG(TIMER_BASE + 0x140u)
#define TIMER_INTENSET REG(TIMER_BASE + 0x304u)
#define TIMER_MODE REG(TIMER_BASE + 0x504u)
#define TIMER_BITMODE REG(TIMER_BASE + 0x508u)
#define TIMER_PRESCALER REG(TIMER_BASE + 0x510u)
#define TIMER_CC0 REG(TIMER_BASE + 0x540u)

void board_timer_start(uint32_t ticks)
{
    TIMER_MODE = 0;       /* timer */
    TIMER_BITMODE = 3;    /* 32 bit */
    TIMER_PRESCALER = 0;  /* 16 MHz */
    TIMER_CC0 = ticks;
    TIMER_INTENSET = 1u << 16; /* COMPARE[0] */
    TIMER_CLEAR = 1;
    TIMER_START = 1;
}

void board_timer_ack(uint32_t next_ticks)
{
    TIMER_COMPARE0 = 0;
    TIMER_CLEAR = 1;
    TIMER_CC0 = next_ticks;
}

void board_timer_stop(void)
{
    TIMER_STOP = 1;
    TIMER_COMPARE0 = 0;
    NVIC_ICPR0 = 1u << TIMER_IRQ;
}
#else
#if BOARD_SSE200
#define TIMER_BASE 0x50000000u
#else
#define TIMER_BASE 0x40000000u
#endif
#define TIMER_CTRL REG(TIMER_BASE + 0x0u)
#define TIMER_VALUE REG(TIMER_BASE + 0x4u)
#define TIMER_RELOAD REG(TIMER_BASE + 0x8u)
#define TIMER_INTCLEAR REG(TIMER_BASE + 0xCu)

void board_timer_start(uint32_t ticks)
{
    TIMER_RELOAD = ticks;
    TIMER_VALUE = ticks;
    TIMER_CTRL = 1u | 8u; /* enable, interrupt enable */
}

void board_timer_ack(uint32_t next_ticks)
{
    TIMER_INTCLEAR = 1;
    TIMER_RELOAD = next_ticks;
}

void board_timer_stop(void)
{
    TIMER_CTRL = 0;
    TIMER_INTCLEAR = 1;
    NVIC_ICPR0 = 1u << TIMER_IRQ;
}
#endif

void board_systick_arm(uint32_t ticks)
{
    SYST_CSR = 0;
    SYST_RVR = ticks;
    SYST_CVR = 0;
    SYST_CSR = 7; /* enable, interrupt, processor clock */
}

void board_systick_stop(void)
{
    SYST_CSR = 0;
    ICSR = 1u << 25; /* PENDSTCLR */
}

void board_systick_free_run(void)
{
    SYST_CSR = 0;
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5; /* enable, processor clock, no interrupt */
}

uint32_t board_systick_now(void)
{
    return SYST_CVR;
}

void board_pendsv_set(void)
{
    ICSR = ICSR_PENDSVSET;
}

void board_sweep_init(void)
{
    /* SysTick high (0x40), PendSV low (0xC0): SysTick preempts PendSV. */
    SHPR3 = (SHPR3 & 0x0000FFFFu) | 0x40C00000u;
}

void board_init(void)
{
    /* Two priority bits on ARMv6-M: only the top bits of each byte count. */
    SHPR3 = (SHPR3 & 0x00FFFFFFu) | 0xC0000000u;                  /* SysTick: low */
    NVIC_IPR_TIMER = (NVIC_IPR_TIMER & ~(0xFFu << TIMER_PRIORITY_SHIFT)) | 0x40u << TIMER_PRIORITY_SHIFT; /* high */
    NVIC_ISER0 = 1u << TIMER_IRQ;
}

/* Entry stubs: hand the exception frame (on the main stack) to the test. */
__attribute__((naked)) static void systick_entry(void)
{
    __asm__ volatile("mov r0, sp\n\tb preempt_systick");
}

static void timer_entry(void)
{
    preempt_timer();
}

static void halt(void)
{
    for (;;) {
    }
}

/* A test that does not use an interrupt leaves its handler undefined. */
__attribute__((weak)) void preempt_timer(void)
{
    halt();
}

__attribute__((weak)) void preempt_pendsv(void)
{
    halt();
}

__attribute__((weak)) void preempt_svc(void)
{
    halt();
}

extern char __stack[];
extern void _start(void);
/* HardFault: picolibc's report, or the test's own (-DBOARD_HARDFAULT=name). */
#ifndef BOARD_HARDFAULT
#define BOARD_HARDFAULT arm_hardfault_isr
#endif
extern void BOARD_HARDFAULT(void);

typedef void (*handler)(void);
struct vector_table {
    void *initial_sp;
    handler handlers[15 + TIMER_IRQ + 1]; // cppcheck-suppress unusedStructMember ; read by the core
};

/* Replaces picolibc's 16-entry __interrupt_vector (same section). */
__attribute__((section(".data.init.enter"), used)) const struct vector_table __interrupt_vector = {
    __stack,
    {
        _start, halt, BOARD_HARDFAULT, halt, halt, halt, 0, 0, 0, 0,
        preempt_svc,                         /* 11: SVCall */
        halt, 0,
        preempt_pendsv,                      /* 14: PendSV */
        systick_entry,                       /* 15: SysTick */
#if BOARD_SSE200
        halt, halt, halt,                    /* IRQ 0..2 */
        timer_entry,                         /* IRQ 3: the board timer */
#else
        halt, halt, halt, halt, halt, halt, halt, halt, /* IRQ 0..7 */
        timer_entry,                         /* IRQ 8: the board timer */
#endif
    },
};
