/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of rxrpc-rs: TRACE_SYSTEM rxrpc, as the C module's, with
 * its event names and fields and the same printed lines where the two
 * share an event (include/trace/events/rxrpc.h). Differences: a header's
 * fields are separate fields here (C keeps the header as one struct
 * field), each "why" is a string the caller names (C has enums), there
 * are no reference counts (r=0), and a call's debug id is the one
 * /proc/net/rxrpc/calls shows; a connection's is its cid.
 *
 * trace.c makes the tracepoints (CREATE_TRACE_POINTS) and the functions
 * of glue.h that Rust calls; kapi/trace.rs wraps those. With
 * CONFIG_TRACEPOINTS off none of this is built.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rxrpc

#if !defined(KAPI_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KAPI_TRACE_H

#include <linux/tracepoint.h>
#include "glue.h"

/* Packet types, by number, as C prints them. */
#define kapi_trace_pkts						\
	{ 0, "?00" }, { 1, "DATA" }, { 2, "ACK" }, { 3, "BUSY" },	\
	{ 4, "ABORT" }, { 5, "ACKALL" }, { 6, "CHALL" }, { 7, "RESP" },	\
	{ 8, "DEBUG" }, { 9, "?09" }, { 10, "?10" }, { 11, "?11" },	\
	{ 12, "?12" }, { 13, "VERSION" }, { 14, "?14" }, { 15, "?15" }

/* How a call ended: C's enum rxrpc_call_completion, and BUSY (ours). */
#define kapi_trace_completions					\
	{ KAPI_TRACE_SUCCEEDED, "Succeeded" },			\
	{ KAPI_TRACE_REMOTELY_ABORTED, "RemoteAbort" },		\
	{ KAPI_TRACE_LOCALLY_ABORTED, "LocalAbort" },		\
	{ KAPI_TRACE_LOCAL_ERROR, "LocalError" },		\
	{ KAPI_TRACE_NETWORK_ERROR, "NetError" },		\
	{ KAPI_TRACE_BUSY, "Busy" }

TRACE_DEFINE_ENUM(KAPI_TRACE_SUCCEEDED);
TRACE_DEFINE_ENUM(KAPI_TRACE_REMOTELY_ABORTED);
TRACE_DEFINE_ENUM(KAPI_TRACE_LOCALLY_ABORTED);
TRACE_DEFINE_ENUM(KAPI_TRACE_LOCAL_ERROR);
TRACE_DEFINE_ENUM(KAPI_TRACE_NETWORK_ERROR);
TRACE_DEFINE_ENUM(KAPI_TRACE_BUSY);

/* A received packet, before it is taken in. */
TRACE_EVENT(rxrpc_rx_packet,
	    TP_PROTO(const struct kapi_trace_hdr *h),

	    TP_ARGS(h),

	    TP_STRUCT__entry(
		    __field(u32,	epoch)
		    __field(u32,	cid)
		    __field(u32,	callNumber)
		    __field(u32,	seq)
		    __field(u32,	serial)
		    __field(u8,		type)
		    __field(u8,		flags)
		    __field(u8,		userStatus)
		    __field(u8,		securityIndex)
		    __field(u16,	serviceId)
			     ),

	    TP_fast_assign(
		    __entry->epoch = h->epoch;
		    __entry->cid = h->cid;
		    __entry->callNumber = h->call_number;
		    __entry->seq = h->seq;
		    __entry->serial = h->serial;
		    __entry->type = h->type;
		    __entry->flags = h->flags;
		    __entry->userStatus = h->user_status;
		    __entry->securityIndex = h->security_index;
		    __entry->serviceId = h->service_id;
			   ),

	    TP_printk("%08x:%08x:%08x:%04x %08x %08x %02x %02x %s",
		      __entry->epoch, __entry->cid, __entry->callNumber,
		      __entry->serviceId, __entry->serial, __entry->seq,
		      __entry->securityIndex, __entry->flags,
		      __entry->type <= 15 ?
		      __print_symbolic(__entry->type, kapi_trace_pkts) : "?UNK")
	    );

/* A received packet not used, or not all of it, and why (ours). */
TRACE_EVENT(rxrpc_rx_drop,
	    TP_PROTO(const struct kapi_trace_hdr *h, const char *why, size_t why_len),

	    TP_ARGS(h, why, why_len),

	    TP_STRUCT__entry(
		    __field(u32,	epoch)
		    __field(u32,	cid)
		    __field(u32,	callNumber)
		    __field(u32,	seq)
		    __field(u32,	serial)
		    __field(u8,		type)
		    __field(u8,		flags)
		    __field(u8,		securityIndex)
		    __field(u16,	serviceId)
		    __string_len(why,	why, why_len)
			     ),

	    TP_fast_assign(
		    __entry->epoch = h->epoch;
		    __entry->cid = h->cid;
		    __entry->callNumber = h->call_number;
		    __entry->seq = h->seq;
		    __entry->serial = h->serial;
		    __entry->type = h->type;
		    __entry->flags = h->flags;
		    __entry->securityIndex = h->security_index;
		    __entry->serviceId = h->service_id;
		    __assign_str(why);
			   ),

	    TP_printk("%08x:%08x:%08x:%04x %08x %08x %02x %02x %s %s",
		      __entry->epoch, __entry->cid, __entry->callNumber,
		      __entry->serviceId, __entry->serial, __entry->seq,
		      __entry->securityIndex, __entry->flags,
		      __entry->type <= 15 ?
		      __print_symbolic(__entry->type, kapi_trace_pkts) : "?UNK",
		      __get_str(why))
	    );

/* A packet handed to the UDP socket; call 0 for a connection's. */
TRACE_EVENT(rxrpc_tx_packet,
	    TP_PROTO(unsigned int call, const struct kapi_trace_hdr *h,
		     const char *where, size_t where_len),

	    TP_ARGS(call, h, where, where_len),

	    TP_STRUCT__entry(
		    __field(unsigned int, call)
		    __field(u32,	epoch)
		    __field(u32,	cid)
		    __field(u32,	callNumber)
		    __field(u32,	seq)
		    __field(u32,	serial)
		    __field(u8,		type)
		    __field(u8,		flags)
		    __field(u8,		userStatus)
		    __field(u8,		securityIndex)
		    __field(u16,	serviceId)
		    __string_len(where,	where, where_len)
			     ),

	    TP_fast_assign(
		    __entry->call = call;
		    __entry->epoch = h->epoch;
		    __entry->cid = h->cid;
		    __entry->callNumber = h->call_number;
		    __entry->seq = h->seq;
		    __entry->serial = h->serial;
		    __entry->type = h->type;
		    __entry->flags = h->flags;
		    __entry->userStatus = h->user_status;
		    __entry->securityIndex = h->security_index;
		    __entry->serviceId = h->service_id;
		    __assign_str(where);
			   ),

	    TP_printk("c=%08x %08x:%08x:%08x:%04x %08x %08x %02x %02x %s %s",
		      __entry->call, __entry->epoch, __entry->cid,
		      __entry->callNumber, __entry->serviceId,
		      __entry->serial, __entry->seq,
		      __entry->type, __entry->flags,
		      __entry->type <= 15 ?
		      __print_symbolic(__entry->type, kapi_trace_pkts) : "?UNK",
		      __get_str(where))
	    );

/* A packet the UDP socket refused. */
TRACE_EVENT(rxrpc_tx_fail,
	    TP_PROTO(unsigned int debug_id, u32 serial, int ret,
		     const char *where, size_t where_len),

	    TP_ARGS(debug_id, serial, ret, where, where_len),

	    TP_STRUCT__entry(
		    __field(unsigned int,	debug_id)
		    __field(u32,		serial)
		    __field(int,		ret)
		    __string_len(where,		where, where_len)
			     ),

	    TP_fast_assign(
		    __entry->debug_id = debug_id;
		    __entry->serial = serial;
		    __entry->ret = ret;
		    __assign_str(where);
			   ),

	    TP_printk("c=%08x r=%x ret=%d %s",
		      __entry->debug_id, __entry->serial, __entry->ret,
		      __get_str(where))
	    );

/* An ABORT received for a call. */
TRACE_EVENT(rxrpc_rx_abort,
	    TP_PROTO(unsigned int call, u32 serial, u32 abort_code),

	    TP_ARGS(call, serial, abort_code),

	    TP_STRUCT__entry(
		    __field(unsigned int,	call)
		    __field(u32,		serial)
		    __field(u32,		abort_code)
			     ),

	    TP_fast_assign(
		    __entry->call = call;
		    __entry->serial = serial;
		    __entry->abort_code = abort_code;
			   ),

	    TP_printk("c=%08x ABORT %08x ac=%d",
		      __entry->call, __entry->serial, __entry->abort_code)
	    );

/* An ABORT received for a whole connection. */
TRACE_EVENT(rxrpc_rx_conn_abort,
	    TP_PROTO(unsigned int conn, u32 serial, u32 abort_code),

	    TP_ARGS(conn, serial, abort_code),

	    TP_STRUCT__entry(
		    __field(unsigned int,	conn)
		    __field(u32,		serial)
		    __field(u32,		abort_code)
			     ),

	    TP_fast_assign(
		    __entry->conn = conn;
		    __entry->serial = serial;
		    __entry->abort_code = abort_code;
			   ),

	    TP_printk("C=%08x ABORT %08x ac=%d",
		      __entry->conn, __entry->serial, __entry->abort_code)
	    );

/* A step in a call's life; aux is the user call id where there is one. */
TRACE_EVENT(rxrpc_call,
	    TP_PROTO(unsigned int call, int ref, unsigned long aux,
		     const char *why, size_t why_len),

	    TP_ARGS(call, ref, aux, why, why_len),

	    TP_STRUCT__entry(
		    __field(unsigned int,	call)
		    __field(int,		ref)
		    __string_len(why,		why, why_len)
		    __field(unsigned long,	aux)
			     ),

	    TP_fast_assign(
		    __entry->call = call;
		    __entry->ref = ref;
		    __assign_str(why);
		    __entry->aux = aux;
			   ),

	    TP_printk("c=%08x %s r=%d a=%lx",
		      __entry->call, __get_str(why), __entry->ref, __entry->aux)
	    );

/* A call ended. */
TRACE_EVENT(rxrpc_call_complete,
	    TP_PROTO(unsigned int call, int compl, int error, u32 abort_code),

	    TP_ARGS(call, compl, error, abort_code),

	    TP_STRUCT__entry(
		    __field(unsigned int,	call)
		    __field(int,		compl)
		    __field(int,		error)
		    __field(u32,		abort_code)
			     ),

	    TP_fast_assign(
		    __entry->call = call;
		    __entry->compl = compl;
		    __entry->error = error;
		    __entry->abort_code = abort_code;
			   ),

	    TP_printk("c=%08x %s r=%d ac=%d",
		      __entry->call,
		      __print_symbolic(__entry->compl, kapi_trace_completions),
		      __entry->error, __entry->abort_code)
	    );

/* We abort a call. */
TRACE_EVENT(rxrpc_abort,
	    TP_PROTO(unsigned int call_nr, const char *why, size_t why_len,
		     u32 cid, u32 call_id, u32 seq, int abort_code, int error),

	    TP_ARGS(call_nr, why, why_len, cid, call_id, seq, abort_code, error),

	    TP_STRUCT__entry(
		    __field(unsigned int,	call_nr)
		    __string_len(why,		why, why_len)
		    __field(u32,		cid)
		    __field(u32,		call_id)
		    __field(u32,		seq)
		    __field(int,		abort_code)
		    __field(int,		error)
			     ),

	    TP_fast_assign(
		    __entry->call_nr = call_nr;
		    __assign_str(why);
		    __entry->cid = cid;
		    __entry->call_id = call_id;
		    __entry->seq = seq;
		    __entry->abort_code = abort_code;
		    __entry->error = error;
			   ),

	    TP_printk("c=%08x %08x:%08x s=%u a=%d e=%d %s",
		      __entry->call_nr, __entry->cid, __entry->call_id,
		      __entry->seq, __entry->abort_code, __entry->error,
		      __get_str(why))
	    );

/* A connection made or discarded. */
TRACE_EVENT(rxrpc_conn,
	    TP_PROTO(unsigned int conn, int ref, const char *why, size_t why_len),

	    TP_ARGS(conn, ref, why, why_len),

	    TP_STRUCT__entry(
		    __field(unsigned int,	conn)
		    __field(int,		ref)
		    __string_len(why,		why, why_len)
			     ),

	    TP_fast_assign(
		    __entry->conn = conn;
		    __entry->ref = ref;
		    __assign_str(why);
			   ),

	    TP_printk("C=%08x %s r=%d",
		      __entry->conn, __get_str(why), __entry->ref)
	    );

#endif /* KAPI_TRACE_H */

/* Outside the guard: define_trace.h reads this file again from kapi/. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
