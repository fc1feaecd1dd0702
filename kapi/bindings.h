/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel interfaces kapi/ binds to that the stock `bindings` crate of 6.12
 * lacks. bindgen reads this at build time with the module's own flags; the
 * output depends on the kernel config and is never committed.
 */
#include <linux/key-type.h>
#include <linux/timekeeping.h>
#include <linux/rxrpc.h>
#include <net/af_rxrpc.h>
#include <linux/net.h>
#include <linux/proc_fs.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/socket.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include "glue.h"

/*
 * Constants bindgen cannot read from their macros (HZ is defined twice,
 * by the uapi header and then as CONFIG_HZ, and bindgen keeps the first),
 * given as const objects it evaluates, as rust/bindings does.
 */
const unsigned long KAPI_CONST_HZ = HZ;
const unsigned long KAPI_CONST_MAX_JIFFY_OFFSET = MAX_JIFFY_OFFSET;
