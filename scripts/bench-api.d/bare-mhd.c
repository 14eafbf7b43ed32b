/* The reference of scripts/bench-api's host half: libmicrohttpd answering every request with the same small JSON
 * body and nothing else, compiled by the bench in the same run as ublkd is measured. What ublkd reaches as a
 * fraction of this is what its own code costs on top of libmicrohttpd's parsing and the kernel's sockets.
 *
 *   bare-mhd PORT MODE [BYTES]   MODE: epoll (one internal epoll thread), pool-N (N epoll threads), select,
 *                                tpc (a thread per connection); BYTES: answer a body that long instead (a JSON
 *                                array padded with spaces), to tell what a long answer costs the transport alone
 * Runs until SIGTERM or SIGINT. Prints "listening" once it accepts connections.
 */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* About the size of ublkd's GET /devices/{id}/stats answer for a device with no queues. */
static const char small[] = "{\n  \"id\" : 0,\n  \"in_flight\" : 0,\n  \"reads\" : 0,\n  \"state\" : \"live\",\n"
                           "  \"writes\" : 0\n}\n";

static const char *body = small;
static size_t body_size = sizeof small - 1;

static enum MHD_Result answer(void *context, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state)
{
    (void)context, (void)url, (void)method, (void)version, (void)upload;
    /* The canonical pattern: the first call only has the headers; answering then makes libmicrohttpd close the
     * connection (it cannot know that no body follows), which would cost every keep-alive client a reconnect. */
    static int first_call_seen;
    if (!*state) {
        *state = &first_call_seen;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *response =
        MHD_create_response_from_buffer(body_size, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, "Content-Type", "application/json");
    MHD_add_response_header(response, "Cache-Control", "no-store");
    enum MHD_Result queued = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return queued;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s PORT epoll|pool-N|select|tpc [BYTES]\n", argv[0]);
        return 2;
    }
    if (argc == 4) {
        body_size = (size_t)atol(argv[3]);
        char *padded = malloc(body_size + 1);
        if (!padded || body_size < 3)
            return 2;
        memset(padded, ' ', body_size);
        padded[0] = '[', padded[body_size - 2] = ']', padded[body_size - 1] = '\n';
        body = padded;
    }
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
    unsigned int pool = 0;
    if (strcmp(argv[2], "epoll") == 0)
        flags |= MHD_USE_EPOLL;
    else if (strncmp(argv[2], "pool-", 5) == 0)
        flags |= MHD_USE_EPOLL, pool = (unsigned int)atoi(argv[2] + 5);
    else if (strcmp(argv[2], "tpc") == 0)
        flags |= MHD_USE_THREAD_PER_CONNECTION;
    else if (strcmp(argv[2], "select") != 0) {
        fprintf(stderr, "unknown mode %s\n", argv[2]);
        return 2;
    }
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_CONNECTION_LIMIT, 512, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL},
        {pool > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *daemon = MHD_start_daemon(flags, (uint16_t)atoi(argv[1]), NULL, NULL, answer, NULL,
                                                 MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (!daemon) {
        fprintf(stderr, "cannot listen on port %s\n", argv[1]);
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    int received;
    sigwait(&signals, &received);
    MHD_stop_daemon(daemon);
    return 0;
}
