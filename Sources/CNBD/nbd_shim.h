// libnbd from Debian's libnbd-dev, and nothing more: Swift imports its API as it is.
#ifndef CNBD_SHIM_H
#define CNBD_SHIM_H

#include <libnbd.h>

#endif
