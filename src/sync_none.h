/*
 * sync=none: no protection at all.  For single-threaded firmware that never
 * allocates from an interrupt handler; the fastest and smallest backend.
 */
#ifndef SYNC_NONE_H
#define SYNC_NONE_H

static inline void *pool_take(unsigned k)
{
    return pool_take_unsynchronised(k);
}

static inline void pool_give(unsigned k, void *ptr)
{
    pool_give_unsynchronised(k, ptr);
}

#endif
