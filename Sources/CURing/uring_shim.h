// What Swift cannot reach in liburing (Debian's liburing-dev 2.3), and nothing more.
#ifndef CURING_SHIM_H
#define CURING_SHIM_H

// Reason: without these first, <liburing.h> and glibc disagree about fd_set and sigset_t in Swift's importer.
#include <sys/types.h>
#include <sys/select.h>
#include <signal.h>
#include <string.h>
// Reason: swift-system's CSystem imports the kernel's <linux/io_uring.h>; liburing carries its own copy under the
// same include guard that differs in one field's type, and Swift refuses two definitions of io_uring_sqe. Taking
// the kernel's first makes liburing use it (same layout).
#include <linux/io_uring.h>
#include <liburing.h>

// Reason: liburing 2.3 has no io_uring_prep_uring_cmd; cmd_op lives in an anonymous union and the 80-byte command
// area (`cmd`, byte 48 of an SQE128 entry) imports as an empty tuple. `sqe_bytes` is 64 or 128: the SQE is not
// zeroed by io_uring_get_sqe, and a URING_CMD payload must not carry stale bytes.
static inline void curing_prep_uring_cmd(struct io_uring_sqe *sqe, int fd, __u32 cmd_op, const void *payload,
                                         unsigned payload_len, unsigned sqe_bytes)
{
    memset(sqe, 0, sqe_bytes);
    sqe->opcode = IORING_OP_URING_CMD;
    sqe->fd = fd;
    sqe->cmd_op = cmd_op;
    if (payload_len)
        memcpy((char *)sqe + 48, payload, payload_len);
}

// Reason: rw_flags, buf_index and addr share anonymous (one of them packed) unions that Swift imports unreliably.
static inline void curing_sqe_set_rw_flags(struct io_uring_sqe *sqe, int rw_flags) { sqe->rw_flags = rw_flags; }
static inline void curing_sqe_set_buf_index(struct io_uring_sqe *sqe, __u16 index) { sqe->buf_index = index; }
static inline void curing_sqe_set_addr(struct io_uring_sqe *sqe, __u64 addr) { sqe->addr = addr; }
static inline void curing_sqe_set_len(struct io_uring_sqe *sqe, __u32 len) { sqe->len = len; }
// Reason: uring_cmd_flags (byte 28) and buf_group (byte 40) are members of anonymous unions, as above; the host's
// <linux/io_uring.h> may predate IORING_URING_CMD_MULTISHOT, so the caller passes the flag's value.
static inline void curing_sqe_set_uring_cmd_flags(struct io_uring_sqe *sqe, __u32 flags) { sqe->uring_cmd_flags = flags; }
static inline void curing_sqe_select_buffer(struct io_uring_sqe *sqe, __u16 group)
{
    sqe->buf_group = group;
    sqe->flags |= IOSQE_BUFFER_SELECT;
}

// Reason: IOSQE_* are macros built from an anonymous enum, which Swift does not import as flags.
static inline __u8 curing_iosqe_fixed_file(void) { return IOSQE_FIXED_FILE; }
static inline __u8 curing_iosqe_io_link(void) { return IOSQE_IO_LINK; }
static inline __u8 curing_iosqe_cqe_skip_success(void) { return IOSQE_CQE_SKIP_SUCCESS; }

// Reason: liburing 2.3 maps ring position i to SQE i once at setup, so io_uring_get_sqe hands every SQE out again
// after one lap. A 6.12 kernel reads a linked URING_CMD's command area from its SQE only when the command is
// issued (after the link's head completes, maybe many laps later), so the caller must be able to keep that SQE for
// itself: this takes the next ring position like io_uring_get_sqe, but points it at SQE `slot`. NULL when `limit`
// entries are already waiting for the kernel.
static inline struct io_uring_sqe *curing_get_sqe_at(struct io_uring *ring, unsigned slot, unsigned limit)
{
    struct io_uring_sq *sq = &ring->sq;
    unsigned head = io_uring_smp_load_acquire(sq->khead);
    if (sq->sqe_tail - head >= limit)
        return NULL;
    sq->array[sq->sqe_tail & sq->ring_mask] = slot;
    sq->sqe_tail++;
    return &sq->sqes[slot << ((ring->flags & IORING_SETUP_SQE128) ? 1 : 0)];
}
static inline unsigned curing_sq_entries(const struct io_uring *ring) { return ring->sq.ring_entries; }

#endif
