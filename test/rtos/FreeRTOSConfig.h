/* SPDX-License-Identifier: MIT */
/*
 * FreeRTOS configuration of the stress test (test/rtos/rtos_stress.c) on
 * the three ports it runs on: RTOS_PORT_CM3 (mps2-an385), RTOS_PORT_CM0
 * (microbit), RTOS_PORT_CM33 (mps2-an505, Secure state, no TrustZone
 * split).  Time slicing at a fast tick; the heap is poolalloc's
 * (src/freertos/heap_poolalloc.c); the tasks' stacks are static, so that
 * the heap holds only what the test allocates.
 */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

/* SysTick runs at the core clock: 25 MHz on the mps2 boards, 16 MHz on the
 * nRF51; under -icount shift=3 an instruction takes 8 ns, so a tick every
 * TICK_INSTRUCTIONS instructions or so. */
#if RTOS_PORT_CM0
#define configCPU_CLOCK_HZ 16000000
#else
#define configCPU_CLOCK_HZ 25000000
#endif
#define RTOS_TICK_INSTRUCTIONS 1500
#define configTICK_RATE_HZ (1000000000 / (8 * RTOS_TICK_INSTRUCTIONS))

#define configUSE_PREEMPTION 1
#define configUSE_TIME_SLICING 1
#define configUSE_PORT_OPTIMISED_TASK_SELECTION 0
#define configUSE_TICKLESS_IDLE 0
#define configMAX_PRIORITIES 5
#define configMINIMAL_STACK_SIZE 256
#define configMAX_TASK_NAME_LEN 8
#define configTICK_TYPE_WIDTH_IN_BITS TICK_TYPE_WIDTH_32_BITS
#define configIDLE_SHOULD_YIELD 1
#define configUSE_TASK_NOTIFICATIONS 0
#define configUSE_MUTEXES 0
#define configUSE_RECURSIVE_MUTEXES 0
#define configUSE_COUNTING_SEMAPHORES 0
#define configQUEUE_REGISTRY_SIZE 0
#define configUSE_QUEUE_SETS 0
#define configUSE_TIMERS 0
#define configUSE_CO_ROUTINES 0
#define configUSE_IDLE_HOOK 0
#define configUSE_TICK_HOOK 0
#define configUSE_MALLOC_FAILED_HOOK 1
#define configCHECK_FOR_STACK_OVERFLOW 2
#define configSUPPORT_STATIC_ALLOCATION 1
#define configSUPPORT_DYNAMIC_ALLOCATION 1
#define configKERNEL_PROVIDED_STATIC_MEMORY 1
#define configUSE_NEWLIB_REENTRANT 0
#define configUSE_PICOLIBC_TLS 0
#define configUSE_TRACE_FACILITY 0
#define configUSE_STATS_FORMATTING_FUNCTIONS 0
#define configGENERATE_RUN_TIME_STATS 0

#define INCLUDE_vTaskDelay 1
#define INCLUDE_vTaskSuspend 1
#define INCLUDE_vTaskDelete 0
#define INCLUDE_xTaskGetSchedulerState 1

/* Priorities: the kernel (SysTick, PendSV) lowest; the board timer
 * (test/preempt_board.c: 0x40) above configMAX_SYSCALL_INTERRUPT_PRIORITY,
 * so no kernel critical section holds it off -- it calls the allocator
 * only, never FreeRTOS. */
#define configKERNEL_INTERRUPT_PRIORITY 0xFF
#define configMAX_SYSCALL_INTERRUPT_PRIORITY 0x80
#define configMAX_API_CALL_INTERRUPT_PRIORITY configMAX_SYSCALL_INTERRUPT_PRIORITY

void rtos_assert_failed(const char *file, int line);
#define configASSERT(x)                             \
    do {                                            \
        if (!(x))                                   \
            rtos_assert_failed(__FILE__, __LINE__); \
    } while (0)

/* The port's handlers go into test/preempt_board.c's vector table under
 * its names; SysTick goes through the test first (rtos_stress.c), which
 * notes where it interrupted, then calls the port's. */
#if RTOS_PORT_CM3
#define vPortSVCHandler preempt_svc
#define xPortPendSVHandler preempt_pendsv
#define xPortSysTickHandler rtos_port_tick
#else
#define SVC_Handler preempt_svc
#define PendSV_Handler preempt_pendsv
#define SysTick_Handler rtos_port_tick
#endif

#if RTOS_PORT_CM33
#define configENABLE_FPU 0
#define configENABLE_MPU 0
#define configENABLE_TRUSTZONE 0
#define configENABLE_MVE 0
#define configRUN_FREERTOS_SECURE_ONLY 1
#endif
#if RTOS_PORT_CM0
#define configENABLE_MPU 0
#endif

#endif /* FREERTOS_CONFIG_H */
