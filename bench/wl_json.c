/* SPDX-License-Identifier: MIT */
/*
 * Workload "json": what a JSON library does to a heap.  Each round builds a
 * document tree (objects and arrays whose child arrays grow by realloc,
 * 16-byte nodes, member names and string values of their own lengths),
 * prints it into a text buffer that grows by malloc + copy + free, duplicates
 * the tree, frees the original and the text, and keeps the duplicate in a
 * ring of three live documents -- so document lifetimes overlap.  A
 * duplicate leaving the ring is printed again and must give the same text
 * (a checksum), which catches any block the allocator handed out twice.
 * Sized for the default pool layout: no call may fail.
 */
#include <string.h>

#include "bench.h"

const size_t bench_libc_heap_budget = 64u * 1024u;

#define ROUNDS 60
#define LIVE 3

enum kind { OBJECT, ARRAY, STRING, NUMBER };

struct node {
    uint8_t kind;
    uint8_t count;           /* children in use */
    uint8_t capacity;        /* children allocated */
    uint8_t unused;
    char *key;               /* member name, or NULL */
    char *text;              /* STRING: the value */
    struct node **children;  /* OBJECT, ARRAY */
};

static void *must_malloc(size_t size)
{
    void *ptr = bench_malloc(size);
    if (ptr == NULL)
        bench_error();
    return ptr;
}

static char *make_text(size_t length)
{
    char *text = must_malloc(length + 1);
    if (text != NULL) {
        for (size_t i = 0; i < length; i++)
            text[i] = (char)('a' + bench_rand(26));
        text[length] = '\0';
    }
    return text;
}

static char *copy_text(const char *text)
{
    if (text == NULL)
        return NULL;
    size_t length = strlen(text);
    char *copy = must_malloc(length + 1);
    if (copy != NULL)
        memcpy(copy, text, length + 1);
    return copy;
}

static struct node *new_node(enum kind kind)
{
    struct node *node = must_malloc(sizeof *node);
    if (node != NULL) {
        memset(node, 0, sizeof *node);
        node->kind = (uint8_t)kind;
    }
    return node;
}

/* Append a child, growing the child array by doubling (realloc). */
static void add_child(struct node *parent, struct node *child)
{
    if (parent == NULL || child == NULL)
        return;
    if (parent->count == parent->capacity) {
        unsigned capacity = parent->capacity == 0 ? 2 : 2u * parent->capacity;
        struct node **grown = bench_realloc(parent->children, capacity * sizeof *grown);
        if (grown == NULL) {
            bench_error();
            return;
        }
        parent->children = grown;
        parent->capacity = (uint8_t)capacity;
    }
    parent->children[parent->count++] = child;
}

static struct node *build_leaf(void)
{
    if (bench_rand(10) < 6) {
        struct node *leaf = new_node(STRING);
        if (leaf != NULL)
            leaf->text = make_text(1 + bench_rand(24));
        return leaf;
    }
    return new_node(NUMBER);
}

static struct node *build(unsigned depth)
{
    if (depth == 0)
        return build_leaf();
    struct node *node = new_node(bench_rand(3) == 0 ? ARRAY : OBJECT);
    unsigned members = (depth == 2 ? 3 : 2) + bench_rand(4);
    for (unsigned i = 0; i < members && node != NULL; i++) {
        struct node *child = bench_rand(10) < 3 ? build(depth - 1) : build_leaf();
        if (child != NULL && node->kind == OBJECT)
            child->key = make_text(3 + bench_rand(8));
        add_child(node, child);
    }
    return node;
}

static struct node *duplicate(const struct node *node)
{
    struct node *copy = new_node((enum kind)node->kind);
    if (copy == NULL)
        return NULL;
    copy->key = copy_text(node->key);
    copy->text = copy_text(node->text);
    for (unsigned i = 0; i < node->count; i++)
        add_child(copy, duplicate(node->children[i]));
    return copy;
}

static void free_tree(struct node *node)
{
    if (node == NULL)
        return;
    for (unsigned i = 0; i < node->count; i++)
        free_tree(node->children[i]);
    bench_free(node->children);
    bench_free(node->key);
    bench_free(node->text);
    bench_free(node);
}

/* The print buffer: grows by malloc + copy + free, as many JSON printers do. */
struct printer {
    char *buffer;
    size_t length, capacity;
};

static void put(struct printer *p, char c)
{
    if (p->length == p->capacity) {
        size_t capacity = p->capacity == 0 ? 32 : 2 * p->capacity;
        char *grown = must_malloc(capacity);
        if (grown == NULL)
            return;
        if (p->buffer != NULL)
            memcpy(grown, p->buffer, p->length);
        bench_free(p->buffer);
        p->buffer = grown;
        p->capacity = capacity;
    }
    p->buffer[p->length++] = c;
}

static void put_text(struct printer *p, const char *text)
{
    put(p, '"');
    while (*text != '\0')
        put(p, *text++);
    put(p, '"');
}

static void print(struct printer *p, const struct node *node)
{
    if (node->key != NULL) {
        put_text(p, node->key);
        put(p, ':');
    }
    switch (node->kind) {
    case STRING:
        put_text(p, node->text);
        break;
    case NUMBER:
        put(p, '0');
        break;
    default:
        put(p, node->kind == OBJECT ? '{' : '[');
        for (unsigned i = 0; i < node->count; i++) {
            if (i > 0)
                put(p, ',');
            print(p, node->children[i]);
        }
        put(p, node->kind == OBJECT ? '}' : ']');
    }
}

/* Print the tree; returns a checksum of the text (the buffer is freed). */
static uint32_t print_and_sum(const struct node *node)
{
    struct printer p = { 0 };
    print(&p, node);
    uint32_t sum = (uint32_t)p.length;
    for (size_t i = 0; i < p.length; i++)
        sum = sum * 31u + (uint8_t)p.buffer[i];
    bench_free(p.buffer);
    return sum;
}

void workload(void)
{
    struct node *live[LIVE] = { 0 };
    uint32_t live_sum[LIVE] = { 0 };
    for (unsigned round = 0; round < ROUNDS + LIVE; round++) {
        unsigned slot = round % LIVE;
        if (live[slot] != NULL) {
            if (print_and_sum(live[slot]) != live_sum[slot])
                bench_error();
            free_tree(live[slot]);
            live[slot] = NULL;
        }
        if (round >= ROUNDS)
            continue;
        struct node *document = build(2);
        if (document == NULL)
            continue;
        uint32_t sum = print_and_sum(document);
        live[slot] = duplicate(document);
        free_tree(document);
        live_sum[slot] = sum;
    }
}
