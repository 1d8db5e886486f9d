/* SPDX-License-Identifier: MIT */
/*
 * The newlib system calls the tests and the demo need, over Arm semihosting
 * (BKPT 0xAB on M-profile): console output and input, exit with a status.
 *
 * Why not libgloss's rdimon: its syscalls are one object with a single .text
 * section that also defines _sbrk, so every rdimon program carries sbrk even
 * when nothing can call it.  With these calls plus nosys.specs (one stub per
 * object) a poolalloc firmware image contains no sbrk at all.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

enum {
    SYS_OPEN = 0x01,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_EXIT_EXTENDED = 0x20,
    ADP_STOPPED_APPLICATION_EXIT = 0x20026,
};

static intptr_t semihost(uintptr_t op, const void *args)
{
    register uintptr_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = args;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (intptr_t)r0;
}

/* Semihosting handles for fds 0..2: ":tt" opened read (0), write (4), append (8). */
static intptr_t console_handle(int fd)
{
    static intptr_t handles[3] = { -1, -1, -1 };
    if (fd < 0 || fd > 2)
        return -1;
    if (handles[fd] < 0) {
        const uintptr_t args[3] = { (uintptr_t)":tt", (uintptr_t)(fd == 0 ? 0 : fd == 1 ? 4 : 8), 3 };
        handles[fd] = semihost(SYS_OPEN, args);
    }
    return handles[fd];
}

int _write(int fd, const char *buf, int len);
int _read(int fd, char *buf, int len);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int offset, int whence);
void _exit(int status);
int _kill(int pid, int sig);
int _getpid(void);

int _write(int fd, const char *buf, int len)
{
    intptr_t handle = console_handle(fd);
    if (handle < 0) {
        errno = EBADF;
        return -1;
    }
    const uintptr_t args[3] = { (uintptr_t)handle, (uintptr_t)buf, (uintptr_t)len };
    return len - (int)semihost(SYS_WRITE, args); /* returns the bytes NOT written */
}

int _read(int fd, char *buf, int len)
{
    intptr_t handle = console_handle(fd);
    if (handle < 0) {
        errno = EBADF;
        return -1;
    }
    const uintptr_t args[3] = { (uintptr_t)handle, (uintptr_t)buf, (uintptr_t)len };
    return len - (int)semihost(SYS_READ, args);
}

int _close(int fd)
{
    (void)fd;
    return 0;
}

int _fstat(int fd, struct stat *st)
{
    (void)fd;
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd)
{
    return fd >= 0 && fd <= 2;
}

int _lseek(int fd, int offset, int whence)
{
    (void)fd;
    (void)offset;
    (void)whence;
    errno = ESPIPE;
    return -1;
}

void _exit(int status)
{
    const uintptr_t args[2] = { ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)status };
    for (;;)
        semihost(SYS_EXIT_EXTENDED, args);
}

int _kill(int pid, int sig)
{
    (void)pid;
    if (sig == 6) /* SIGABRT from abort(): exit like picolibc's, with 134 */
        _exit(128 + sig);
    errno = EINVAL;
    return -1;
}

int _getpid(void)
{
    return 1;
}
