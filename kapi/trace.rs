//! Tracepoints of the `rxrpc` trace system (`kapi/trace.h`), one function
//! per event, named after it.
//!
//! Each call costs a function call and a static key test while its event
//! is off; [`on`] tells the caller which events are being recorded, so that
//! it need not gather what an event shows for nothing. Without
//! `CONFIG_TRACEPOINTS` (the release kernel) every function here is empty
//! and [`on`] says all are off, so that callers compile to nothing.

#[cfg(CONFIG_TRACEPOINTS)]
use super::bindings;

/// Which of the events that take work to fill in are being recorded.
#[derive(Clone, Copy, Default)]
pub(crate) struct On {
    /// `rxrpc_rx_packet`.
    pub(crate) rx_packet: bool,
    /// `rxrpc_rx_drop`.
    pub(crate) rx_drop: bool,
    /// `rxrpc_rx_abort`.
    pub(crate) rx_abort: bool,
    /// `rxrpc_rx_conn_abort`.
    pub(crate) rx_conn_abort: bool,
    /// `rxrpc_tx_packet`.
    pub(crate) tx_packet: bool,
    /// `rxrpc_tx_fail`.
    pub(crate) tx_fail: bool,
    /// `rxrpc_abort`.
    pub(crate) abort: bool,
}

impl On {
    /// Whether any event about received packets is on.
    pub(crate) fn any_rx(self) -> bool {
        self.rx_packet || self.rx_drop || self.rx_abort || self.rx_conn_abort
    }

    /// Whether any event about sent packets is on.
    pub(crate) fn any_tx(self) -> bool {
        self.tx_packet || self.tx_fail
    }
}

/// The events being recorded now.
pub(crate) fn on() -> On {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        // SAFETY: Reads static keys only.
        let o = unsafe { bindings::kapi_trace_enabled() };
        On {
            rx_packet: o.rx_packet,
            rx_drop: o.rx_drop,
            rx_abort: o.rx_abort,
            rx_conn_abort: o.rx_conn_abort,
            tx_packet: o.tx_packet,
            tx_fail: o.tx_fail,
            abort: o.abort,
        }
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    On::default()
}

/// The fields of a packet's header that the packet events show, in host
/// order.
#[derive(Clone, Copy, Default)]
#[cfg_attr(not(CONFIG_TRACEPOINTS), allow(dead_code))]
pub(crate) struct PacketHeader {
    /// `epoch`.
    pub(crate) epoch: u32,
    /// `cid` (connection id and channel).
    pub(crate) cid: u32,
    /// `callNumber`.
    pub(crate) call_number: u32,
    /// `seq`.
    pub(crate) seq: u32,
    /// `serial`.
    pub(crate) serial: u32,
    /// `type`.
    pub(crate) ptype: u8,
    /// `flags`.
    pub(crate) flags: u8,
    /// `userStatus`.
    pub(crate) user_status: u8,
    /// `securityIndex`.
    pub(crate) security_index: u8,
    /// `serviceId`.
    pub(crate) service_id: u16,
}

#[cfg(CONFIG_TRACEPOINTS)]
impl PacketHeader {
    fn raw(&self) -> bindings::kapi_trace_hdr {
        bindings::kapi_trace_hdr {
            epoch: self.epoch,
            cid: self.cid,
            call_number: self.call_number,
            seq: self.seq,
            serial: self.serial,
            type_: self.ptype,
            flags: self.flags,
            user_status: self.user_status,
            security_index: self.security_index,
            service_id: self.service_id,
        }
    }
}

/// How a call ended, as `rxrpc_call_complete` shows it.
#[derive(Clone, Copy)]
pub(crate) enum Completion {
    /// `Succeeded`.
    Succeeded,
    /// `RemoteAbort`.
    RemoteAbort,
    /// `LocalAbort`.
    LocalAbort,
    /// `LocalError`.
    LocalError,
    /// `NetError`.
    NetError,
    /// `Busy` (the C module has no such end).
    Busy,
}

/// `rxrpc_rx_packet`: a packet arrived.
pub(crate) fn rx_packet(h: &PacketHeader) {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        let raw = h.raw();
        // SAFETY: `raw` is valid for the call, which does not keep it.
        unsafe { bindings::kapi_trace_rx_packet(&raw) };
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    let _ = h;
}

/// `rxrpc_rx_drop`: a packet that arrived was not used, for reason `why`.
pub(crate) fn rx_drop(h: &PacketHeader, why: &str) {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        let raw = h.raw();
        // SAFETY: `raw` and `why`'s bytes are valid for the call, which
        // copies them.
        unsafe { bindings::kapi_trace_rx_drop(&raw, why.as_ptr().cast(), why.len()) };
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    let _ = (h, why);
}

/// `rxrpc_rx_abort`: an ABORT arrived for call `call`.
pub(crate) fn rx_abort(call: u32, serial: u32, abort_code: u32) {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        // SAFETY: Plain values.
        unsafe { bindings::kapi_trace_rx_abort(call, serial, abort_code) };
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    let _ = (call, serial, abort_code);
}

/// `rxrpc_rx_conn_abort`: an ABORT arrived for connection `conn`.
pub(crate) fn rx_conn_abort(conn: u32, serial: u32, abort_code: u32) {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        // SAFETY: Plain values.
        unsafe { bindings::kapi_trace_rx_conn_abort(conn, serial, abort_code) };
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    let _ = (conn, serial, abort_code);
}

/// `rxrpc_tx_packet`: a packet of call `call` (0: none) goes out; `place`
/// says what kind of transmission it is.
pub(crate) fn tx_packet(call: u32, h: &PacketHeader, place: &str) {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        let raw = h.raw();
        // SAFETY: `raw` and `place`'s bytes are valid for the call, which
        // copies them.
        unsafe { bindings::kapi_trace_tx_packet(call, &raw, place.as_ptr().cast(), place.len()) };
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    let _ = (call, h, place);
}

/// `rxrpc_tx_fail`: the UDP socket refused a packet with `-errno`.
pub(crate) fn tx_fail(call: u32, serial: u32, errno: i32, place: &str) {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        // SAFETY: `place`'s bytes are valid for the call, which copies them.
        unsafe {
            bindings::kapi_trace_tx_fail(call, serial, errno, place.as_ptr().cast(), place.len())
        };
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    let _ = (call, serial, errno, place);
}

/// `rxrpc_call`: call `call` took step `why`; `aux` is its user call id.
pub(crate) fn call(call: u32, aux: u64, why: &str) {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        // SAFETY: `why`'s bytes are valid for the call, which copies them.
        unsafe { bindings::kapi_trace_call(call, aux, why.as_ptr().cast(), why.len()) };
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    let _ = (call, aux, why);
}

/// `rxrpc_call_complete`: call `call` ended (`error` is `-errno`).
pub(crate) fn call_complete(call: u32, how: Completion, error: i32, abort_code: u32) {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        let how = match how {
            Completion::Succeeded => bindings::kapi_trace_completion_KAPI_TRACE_SUCCEEDED,
            Completion::RemoteAbort => bindings::kapi_trace_completion_KAPI_TRACE_REMOTELY_ABORTED,
            Completion::LocalAbort => bindings::kapi_trace_completion_KAPI_TRACE_LOCALLY_ABORTED,
            Completion::LocalError => bindings::kapi_trace_completion_KAPI_TRACE_LOCAL_ERROR,
            Completion::NetError => bindings::kapi_trace_completion_KAPI_TRACE_NETWORK_ERROR,
            Completion::Busy => bindings::kapi_trace_completion_KAPI_TRACE_BUSY,
        };
        // SAFETY: Plain values.
        unsafe { bindings::kapi_trace_call_complete(call, how as i32, error, abort_code) };
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    let _ = (call, how, error, abort_code);
}

/// `rxrpc_abort`: we abort call `call` (connection id `cid`, call number
/// `call_id`) with `abort_code` for reason `why` (`error` is `-errno`).
pub(crate) fn abort(call: u32, why: &str, cid: u32, call_id: u32, abort_code: u32, error: i32) {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        // SAFETY: `why`'s bytes are valid for the call, which copies them.
        unsafe {
            bindings::kapi_trace_abort(
                call,
                why.as_ptr().cast(),
                why.len(),
                cid,
                call_id,
                0,
                abort_code,
                error,
            )
        };
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    let _ = (call, why, cid, call_id, abort_code, error);
}

/// `rxrpc_conn`: connection `conn` took step `why`.
pub(crate) fn conn(conn: u32, why: &str) {
    #[cfg(CONFIG_TRACEPOINTS)]
    {
        // SAFETY: `why`'s bytes are valid for the call, which copies them.
        unsafe { bindings::kapi_trace_conn(conn, why.as_ptr().cast(), why.len()) };
    }
    #[cfg(not(CONFIG_TRACEPOINTS))]
    let _ = (conn, why);
}
