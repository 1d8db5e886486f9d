/* SPDX-License-Identifier: MIT */
/*
 * Target only: C++ allocation (operator new/delete from libstdc++, built for
 * picolibc or newlib) lands in the pools, containers give their memory back,
 * and an impossible new throws std::bad_alloc (returns nullptr with nothrow).
 * TEST_CPP_EXCEPTIONS is 0 for newlib-nano: its libstdc++_nano has no
 * exception support at all: any failing new aborts, nothrow new included,
 * with newlib's own malloc too.
 */
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "check.h"
#include "poolalloc.h"
#include "pools.h"

static bool in_pools(const void *p)
{
    return p != nullptr && pool_holding(p) < poolalloc_pool_count();
}

static char *volatile escaped;

int main()
{
    size_t before = total_in_use();
    {
        int *i = new int(7);
        CHECK(in_pools(i) && *i == 7);
        delete i;

        std::vector<int> v;
        for (int k = 0; k < 40; k++)
            v.push_back(k);
        CHECK(in_pools(v.data()) && v[39] == 39);

        std::string s(100, 'x');
        s += "tail";
        CHECK(in_pools(s.data()) && s.size() == 104);

        auto *arr = new std::uint64_t[8]();
        CHECK(in_pools(arr) && reinterpret_cast<std::uintptr_t>(arr) % alignof(std::uint64_t) == 0);
        delete[] arr;
        CHECK(total_in_use() > before);
    }
    CHECK(total_in_use() == before);

#if TEST_CPP_EXCEPTIONS
    bool threw = false;
    try {
        /* Kept in a volatile global so that the compiler cannot elide the
         * new/delete pair (C++14 allows it). */
        escaped = new char[largest_block() + 1];
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    CHECK(threw);
    char *q = new (std::nothrow) char[largest_block() + 1];
    CHECK(q == nullptr);
#endif
    return check_finish("test_cpp");
}
