// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints of trace.h, and the plain functions Rust calls for them
 * (glue.h). Each function is the tracepoint's own call, which does nothing
 * past a static key while the event is off; kapi_trace_enabled() lets the
 * caller skip the work of filling in an event nobody records.
 */
#include "glue.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

struct kapi_trace_on kapi_trace_enabled(void)
{
	return (struct kapi_trace_on) {
		.rx_packet = trace_rxrpc_rx_packet_enabled(),
		.rx_drop = trace_rxrpc_rx_drop_enabled(),
		.rx_abort = trace_rxrpc_rx_abort_enabled(),
		.rx_conn_abort = trace_rxrpc_rx_conn_abort_enabled(),
		.tx_packet = trace_rxrpc_tx_packet_enabled(),
		.tx_fail = trace_rxrpc_tx_fail_enabled(),
		.abort = trace_rxrpc_abort_enabled(),
	};
}

void kapi_trace_rx_packet(const struct kapi_trace_hdr *h)
{
	trace_rxrpc_rx_packet(h);
}

void kapi_trace_rx_drop(const struct kapi_trace_hdr *h, const char *why, size_t why_len)
{
	trace_rxrpc_rx_drop(h, why, why_len);
}

void kapi_trace_rx_abort(unsigned int call, u32 serial, u32 abort_code)
{
	trace_rxrpc_rx_abort(call, serial, abort_code);
}

void kapi_trace_rx_conn_abort(unsigned int conn, u32 serial, u32 abort_code)
{
	trace_rxrpc_rx_conn_abort(conn, serial, abort_code);
}

void kapi_trace_tx_packet(unsigned int call, const struct kapi_trace_hdr *h,
			  const char *where, size_t where_len)
{
	trace_rxrpc_tx_packet(call, h, where, where_len);
}

void kapi_trace_tx_fail(unsigned int call, u32 serial, int ret, const char *where,
			size_t where_len)
{
	trace_rxrpc_tx_fail(call, serial, ret, where, where_len);
}

void kapi_trace_call(unsigned int call, unsigned long aux, const char *why, size_t why_len)
{
	/* No reference counts here: r=0. */
	trace_rxrpc_call(call, 0, aux, why, why_len);
}

void kapi_trace_call_complete(unsigned int call, int compl, int error, u32 abort_code)
{
	trace_rxrpc_call_complete(call, compl, error, abort_code);
}

void kapi_trace_abort(unsigned int call, const char *why, size_t why_len, u32 cid,
		      u32 call_id, u32 seq, u32 abort_code, int error)
{
	trace_rxrpc_abort(call, why, why_len, cid, call_id, seq, abort_code, error);
}

void kapi_trace_conn(unsigned int conn, const char *why, size_t why_len)
{
	trace_rxrpc_conn(conn, 0, why, why_len);
}
