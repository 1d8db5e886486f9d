/* SPDX-License-Identifier: MIT */
/*
 * The C++ consumer (doc/integration.md, "From C++"): a firmware built with
 * arm-none-eabi-g++ against an installed poolalloc (pkg-config).  new and
 * delete, new[], the containers, std::string and std::make_shared must all
 * take blocks that lie in a pool (libstdc++'s operator new calls malloc,
 * which is poolalloc's when the archive is linked whole), be counted in
 * the pools' in_use (an address check alone cannot tell: picolibc's own
 * heap starts where the pools do), give them back, and an impossible
 * request must throw std::bad_alloc, or return nullptr with std::nothrow.  The pool table is read from C++ through the typedef
 * poolalloc_pool_info_t and the struct's own name.  Prints "consumer ok"
 * and exits 0 only when every check holds; otherwise "FAIL: WHAT" lines.
 */
#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "poolalloc.h"

static int failures;

static void check(bool ok, const char *what)
{
    if (!ok) {
        std::printf("FAIL: %s\n", what);
        failures++;
    }
}

/* Whether p lies in one of the pools (the typedef: C++'s spelling). */
static bool in_a_pool(const void *p)
{
    poolalloc_pool_info_t info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++)
        if (p >= info.start && p < info.end)
            return true;
    return false;
}

/* Blocks in use and the largest block (the struct's own name, as C writes
 * it, which C++ accepts with the `struct` keyword). */
static size_t blocks_in_use()
{
    size_t total = 0;
    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++)
        total += info.in_use;
    return total;
}

static size_t largest_block()
{
    struct poolalloc_pool_info info = {};
    size_t largest = 0;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++)
        largest = info.block_size > largest ? info.block_size : largest;
    return largest;
}

/* Keeps the compiler from eliding a new/delete pair (C++14 allows it). */
static char *volatile escaped;

int main()
{
    std::printf("C++ consumer of poolalloc %s: %u pools, largest block %u\n", POOLALLOC_VERSION_STRING,
                static_cast<unsigned>(poolalloc_pool_count()), static_cast<unsigned>(largest_block()));
    size_t before = blocks_in_use();
    {
        int *i = new int(7);
        check(in_a_pool(i) && *i == 7, "new int: not in a pool");
        delete i;
        auto *a = new std::array<long long, 4>();
        check(in_a_pool(a), "new std::array: not in a pool");
        delete a;
        auto *arr = new int[10]();
        check(in_a_pool(arr), "new int[10]: not in a pool");
        delete[] arr;

        std::vector<int> v;
        for (int k = 0; k < 20; k++)
            v.push_back(k);
        check(in_a_pool(v.data()) && v[19] == 19, "std::vector: its storage is not in a pool");
        std::string s(60, 'x');
        check(in_a_pool(s.data()), "std::string: its storage is not in a pool");
        std::map<int, int> m{{1, 10}, {2, 20}};
        check(in_a_pool(&m.at(2)), "std::map: its node is not in a pool");
        auto shared = std::make_shared<std::array<int, 8>>();
        check(in_a_pool(shared.get()), "std::make_shared: its block is not in a pool");
        check(blocks_in_use() > before, "the containers hold no pool block");
    }
    check(blocks_in_use() == before, "the containers did not give every block back");

    bool threw = false;
    try {
        escaped = new char[largest_block() + 1];
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    check(threw, "new of more than the largest block did not throw std::bad_alloc");
    char *q = new (std::nothrow) char[largest_block() + 1];
    check(q == nullptr, "new (std::nothrow) of more than the largest block did not return nullptr");
    delete[] q;

    if (failures != 0)
        return 1;
    std::printf("consumer ok\n");
    return 0;
}
