// Linux interfaces that Swift's Glibc module leaves out, and nothing more.
#ifndef CLINUX_SHIM_H
#define CLINUX_SHIM_H

#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/syscall.h>
// Reason: not part of Swift's Glibc module at all.
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
// Reason: CAP_*, FALLOC_FL_* and PR_* come from the kernel's UAPI headers, which Glibc's module does not include.
#include <linux/capability.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <linux/prctl.h>

// Reason: glibc defines O_DIRECT only under _GNU_SOURCE, which Swift's Glibc module is not built with.
static inline int clinux_o_direct(void) { return __O_DIRECT; }
// Reason: O_PATH likewise needs _GNU_SOURCE.
static inline int clinux_o_path(void) { return __O_PATH; }

// Reason: sched_setaffinity is declared only under _GNU_SOURCE; the raw system call takes the same mask.
static inline int clinux_set_thread_affinity(const void *mask, size_t mask_bytes)
{
    return (int)syscall(SYS_sched_setaffinity, 0, mask_bytes, mask);
}

// Reason: prctl is variadic, which Swift cannot call.
static inline int clinux_prctl(int option, unsigned long argument) { return prctl(option, argument, 0, 0, 0); }

// Reason: Glibc's module leaves out sys/vfs.h. The file system's magic number (f_type), or -1 with errno set.
static inline long clinux_file_system_type(int fd)
{
    struct statfs info;
    return fstatfs(fd, &info) == 0 ? (long)info.f_type : -1;
}

// Reason: glibc 2.36 has no openat2 wrapper. Opens `path` below `directory` without ever leaving it (RESOLVE_BENEATH:
// no "..", absolute path or symlink that escapes), so the file opened is inside whatever a symlink swapped in says.
static inline int clinux_open_beneath(int directory, const char *path, int flags, unsigned int mode)
{
    struct open_how how = { .flags = (unsigned long long)flags, .mode = (flags & O_CREAT) ? mode : 0,
                            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
    return (int)syscall(SYS_openat2, directory, path, &how, sizeof how);
}

// Reason: glibc has no capget/capset (libcap does, and is not a dependency). Raises or lowers one capability in the
// calling thread's effective set only (capabilities are per thread in Linux); the permitted set is untouched, so the
// thread can raise it again. 0, or -1 with errno set.
static inline int clinux_set_thread_effective_capability(int capability, int raised)
{
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    unsigned int word = (unsigned int)capability / 32, bit = 1u << ((unsigned int)capability % 32);
    if (raised) data[word].effective |= bit; else data[word].effective &= ~bit;
    return (int)syscall(SYS_capset, &header, data);
}

// 1 if the calling thread has `capability` in its effective set, 0 if not, -1 with errno set.
static inline int clinux_thread_has_effective_capability(int capability)
{
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    return (data[(unsigned int)capability / 32].effective >> ((unsigned int)capability % 32)) & 1;
}

// Reason: sched_getcpu is declared only under _GNU_SOURCE. glibc answers it from rseq or the vDSO, without a
// system call: the CPU the calling thread runs on, or -1 with errno set.
extern int sched_getcpu(void);

#endif
