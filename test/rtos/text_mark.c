/* SPDX-License-Identifier: MIT */
/*
 * A marker function, built twice (TEXT_MARK = rtos_allocator_text_begin,
 * rtos_allocator_text_end) into two one-function libraries that the
 * FreeRTOS stress test links right before and right after the allocator's
 * archive: ld lays the .text input sections out in link order, so the
 * allocator's code lies between the two (test/rtos/rtos_stress.c checks
 * that its entry points do).
 */
__attribute__((noinline, used)) void TEXT_MARK(void)
{
    __asm__ volatile("" : : : "memory");
}
