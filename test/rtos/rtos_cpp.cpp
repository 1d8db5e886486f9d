// SPDX-License-Identifier: MIT
// C++ allocation for the FreeRTOS stress test (test/rtos/rtos_stress.c):
// new[] and delete[] of the C++ library, which call malloc and free.
#include <cstddef>
#include <new>

extern "C" void *rtos_new(std::size_t size)
{
    return new (std::nothrow) unsigned char[size];
}

extern "C" void rtos_delete(void *block)
{
    delete[] static_cast<unsigned char *>(block);
}
