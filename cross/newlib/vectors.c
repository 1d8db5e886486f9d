/* SPDX-License-Identifier: MIT */
/*
 * Cortex-M vector table for newlib programs (newlib ships none): the initial
 * stack pointer and the reset vector, which enters newlib's rdimon crt0.  A
 * HardFault prints the stacked registers the way picolibc's crt0 does
 * ("ARM fault: hardfault", then R0 ... PC) and exits with status 1, so the
 * tests read a trap's report the same way on both C libraries.  Any other
 * fault or unexpected interrupt parks the core in a loop; the QEMU runner's
 * timeout then fails the test instead of letting it run on corrupted state.
 */
#include <stdint.h>
#include <unistd.h>

extern char __stack[];
extern void _start(void);

/* Append "\tNAME 0xXXXXXXXX\n" to out; returns the new end. */
static char *put_register(char *out, const char *name, uint32_t value)
{
    *out++ = '\t';
    while (*name != '\0')
        *out++ = *name++;
    *out++ = '0';
    *out++ = 'x';
    for (int shift = 28; shift >= 0; shift -= 4)
        *out++ = "0123456789abcdef"[(value >> shift) & 0xfu];
    *out++ = '\n';
    return out;
}

/* The exception frame: r0, r1, r2, r3, r12, lr, pc, xpsr. */
void hard_fault_report(const uint32_t *frame);
void hard_fault_report(const uint32_t *frame)
{
    static const char *const names[] = { "R0:   ", "R1:   ", "R2:   ", "R3:   ",
                                         "R12:  ", "LR:   ", "PC:   ", "XPSR: " };
    char text[200] = "ARM fault: hardfault\n";
    char *end = text + 21;
    for (unsigned i = 0; i < 8; i++)
        end = put_register(end, names[i], frame[i]);
    (void)!write(1, text, (size_t)(end - text));
    _exit(1);
}

/* Hand the stacked frame (main or process stack) to hard_fault_report. */
__attribute__((naked)) static void hard_fault(void)
{
    __asm__ volatile("tst lr, #4\n\t"
                     "ite eq\n\t"
                     "mrseq r0, msp\n\t"
                     "mrsne r0, psp\n\t"
                     "b hard_fault_report\n");
}

static void unexpected_exception(void)
{
    for (;;) {
    }
}

typedef void (*handler)(void);

/* The first word is the initial stack pointer, a data address: a struct keeps
 * it apart from the handlers without casting between pointer kinds. */
struct vector_table {
    void *initial_sp;    // cppcheck-suppress unusedStructMember ; read by the core
    handler handlers[15]; // cppcheck-suppress unusedStructMember ; read by the core
};

__attribute__((section(".vectors"), used)) static const struct vector_table vector_table = {
    __stack, /* crt0 sets its own from the semihosting HEAPINFO call */
    {
        _start,               /* reset */
        unexpected_exception, /* NMI */
        hard_fault,           /* HardFault */
        unexpected_exception, /* MemManage */
        unexpected_exception, /* BusFault */
        unexpected_exception, /* UsageFault */
        0, 0, 0, 0,
        unexpected_exception, /* SVCall */
        unexpected_exception, /* DebugMonitor */
        0,
        unexpected_exception, /* PendSV */
        unexpected_exception, /* SysTick */
    },
};
