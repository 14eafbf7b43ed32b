// What Swift cannot call in libmicrohttpd (Debian's libmicrohttpd-dev), and nothing more.
#ifndef CMHD_SHIM_H
#define CMHD_SHIM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <microhttpd.h>

// Reason: MHD_start_daemon is variadic (options as a va_list of pairs), which Swift cannot call. `threads` event
// loops (epoll) serve every connection; requests that may wait are suspended and finished on a worker (see
// HTTPServer), which MHD_ALLOW_SUSPEND_RESUME allows. More than one thread makes a pool sharing the listening socket.
static inline struct MHD_Daemon *cmhd_start(unsigned int extra_flags, const struct sockaddr *address,
                                            unsigned int threads, MHD_AccessHandlerCallback handler,
                                            void *handler_context, MHD_RequestCompletedCallback completed,
                                            void *completed_context, unsigned int connection_limit,
                                            unsigned int connection_timeout, size_t connection_memory)
{
    unsigned int port = 0;
    if (address->sa_family == AF_INET)
        port = ntohs(((const struct sockaddr_in *)address)->sin_port);
    else if (address->sa_family == AF_INET6)
        port = ntohs(((const struct sockaddr_in6 *)address)->sin6_port);
    struct MHD_OptionItem pool[] = {
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | extra_flags,
                            (uint16_t)port, NULL, NULL, handler, handler_context,
                            MHD_OPTION_SOCK_ADDR, address,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_context,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory,
                            MHD_OPTION_ARRAY, pool,
                            MHD_OPTION_END);
}

// Reason: the port of the bound socket (after binding port 0) comes back through the variadic MHD_get_daemon_info.
static inline int cmhd_bound_port(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? (int)info->port : -1;
}

// Reason: the nice value is per thread on Linux, set through the thread id, which Swift's Glibc does not reach
// (gettid). Moves the calling thread's nice value by `step` (within -20...19); false if the kernel refused.
static inline bool cmhd_renice_thread(int step)
{
    id_t thread = (id_t)syscall(SYS_gettid);
    int wanted = getpriority(PRIO_PROCESS, thread) + step;
    wanted = wanted > 19 ? 19 : wanted < -20 ? -20 : wanted;
    return setpriority(PRIO_PROCESS, thread, wanted) == 0;
}

// Reason: Swift has no thread-local storage, and MHD has no hook where its threads start: the first request an event
// loop serves lowers that thread's priority by `step`, once.
static inline void cmhd_renice_thread_once(int step)
{
    static __thread bool done;
    if (!done) {
        done = true;
        cmhd_renice_thread(step);
    }
}

#endif
