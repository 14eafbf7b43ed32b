// What Swift cannot import from the vendored ublk_cmd.h, and nothing more.
#ifndef CUBLK_SHIM_H
#define CUBLK_SHIM_H

#include <linux/ioctl.h>
#include <linux/types.h>
#include <stdint.h>
#include "ublk_cmd.h"

// Reason for every function below: the UBLK_U_* codes are _IOR/_IOWR function-like macros, which Swift does not
// import. UblkABI carries the values as literals; a test pins them against these.
static inline uint32_t cublk_u_cmd_get_queue_affinity(void) { return UBLK_U_CMD_GET_QUEUE_AFFINITY; }
static inline uint32_t cublk_u_cmd_get_dev_info(void) { return UBLK_U_CMD_GET_DEV_INFO; }
static inline uint32_t cublk_u_cmd_add_dev(void) { return UBLK_U_CMD_ADD_DEV; }
static inline uint32_t cublk_u_cmd_del_dev(void) { return UBLK_U_CMD_DEL_DEV; }
static inline uint32_t cublk_u_cmd_start_dev(void) { return UBLK_U_CMD_START_DEV; }
static inline uint32_t cublk_u_cmd_stop_dev(void) { return UBLK_U_CMD_STOP_DEV; }
static inline uint32_t cublk_u_cmd_set_params(void) { return UBLK_U_CMD_SET_PARAMS; }
static inline uint32_t cublk_u_cmd_get_params(void) { return UBLK_U_CMD_GET_PARAMS; }
static inline uint32_t cublk_u_cmd_start_user_recovery(void) { return UBLK_U_CMD_START_USER_RECOVERY; }
static inline uint32_t cublk_u_cmd_end_user_recovery(void) { return UBLK_U_CMD_END_USER_RECOVERY; }
static inline uint32_t cublk_u_cmd_get_dev_info2(void) { return UBLK_U_CMD_GET_DEV_INFO2; }
static inline uint32_t cublk_u_cmd_get_features(void) { return UBLK_U_CMD_GET_FEATURES; }
static inline uint32_t cublk_u_cmd_del_dev_async(void) { return UBLK_U_CMD_DEL_DEV_ASYNC; }
static inline uint32_t cublk_u_cmd_update_size(void) { return UBLK_U_CMD_UPDATE_SIZE; }
static inline uint32_t cublk_u_cmd_quiesce_dev(void) { return UBLK_U_CMD_QUIESCE_DEV; }
static inline uint32_t cublk_u_cmd_try_stop_dev(void) { return UBLK_U_CMD_TRY_STOP_DEV; }
static inline uint32_t cublk_u_io_fetch_req(void) { return UBLK_U_IO_FETCH_REQ; }
static inline uint32_t cublk_u_io_commit_and_fetch_req(void) { return UBLK_U_IO_COMMIT_AND_FETCH_REQ; }
static inline uint32_t cublk_u_io_need_get_data(void) { return UBLK_U_IO_NEED_GET_DATA; }
static inline uint32_t cublk_u_io_register_io_buf(void) { return UBLK_U_IO_REGISTER_IO_BUF; }
static inline uint32_t cublk_u_io_unregister_io_buf(void) { return UBLK_U_IO_UNREGISTER_IO_BUF; }
static inline uint32_t cublk_u_io_prep_io_cmds(void) { return UBLK_U_IO_PREP_IO_CMDS; }
static inline uint32_t cublk_u_io_commit_io_cmds(void) { return UBLK_U_IO_COMMIT_IO_CMDS; }
static inline uint32_t cublk_u_io_fetch_io_cmds(void) { return UBLK_U_IO_FETCH_IO_CMDS; }

#endif
