/*
 * Cortex-M vector table for newlib programs (newlib ships none): the initial
 * stack pointer and the reset vector, which enters newlib's rdimon crt0.  Any
 * fault or unexpected interrupt parks the core in a loop; the QEMU runner's
 * timeout then fails the test instead of letting it run on corrupted state.
 */
extern char __stack[];
extern void _start(void);

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
        unexpected_exception, /* HardFault */
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
