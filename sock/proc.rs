//! /proc/net/rxrpc: the rows of each file, collected from a namespace's
//! local endpoints under their locks (the registry's, then each engine's,
//! briefly) and handed to `ffi/proc.rs`, which prints them with the C
//! module's formats. Printing into the seq_file does not sleep; if the
//! page overflows, the kernel calls again with a larger one, and the same
//! walk prints the rows again.

use crate::ffi::bindings;
use crate::ffi::io::{now, to_c, NetNs};
use crate::ffi::proc::{add_retired, retire as retire_counters, Seq};
use crate::proto::{Counters, Instant, Outcome, TransportAddr, ACK_REASONS};

use super::local::{Core, Local, Registry};

/// Prints the rows of `file` (`RXRPC_RS_PROC_*`) for namespace `net`.
pub(crate) fn show(registry: &Registry, net: NetNs, file: u32, seq: &mut Seq) {
    let now = now();
    match file {
        bindings::RXRPC_RS_PROC_CALLS => registry.visit(net, || (), |(), l, core, _| calls(seq, l, core)),
        bindings::RXRPC_RS_PROC_CONNS => registry.visit(net, || (), |(), l, core, _| conns(seq, l, core)),
        bindings::RXRPC_RS_PROC_BUNDLES => registry.visit(net, || (), |(), l, core, _| bundles(seq, l, core)),
        bindings::RXRPC_RS_PROC_PEERS => registry.visit(net, || (), |(), l, core, _| peers(seq, l, core, now)),
        bindings::RXRPC_RS_PROC_LOCALS => registry.visit(net, || (), |(), l, _, users| locals(seq, l, users)),
        bindings::RXRPC_RS_PROC_STATS => {
            let start = || {
                let mut st = bindings::rxrpc_rs_proc_stats::default();
                add_retired(net, &mut st);
                st
            };
            let st = registry.visit(net, start, |st, l, core, _| add_stats(st, l, core));
            seq.stats(&st);
        }
        _ => {}
    }
}

/// A name in a fixed, NUL-terminated `char[9]` (`%-8.8s` prints it).
fn state(name: &str) -> [core::ffi::c_char; 9] {
    let mut out = [0; 9];
    for (d, s) in out.iter_mut().zip(name.bytes().take(8)) {
        *d = s as core::ffi::c_char;
    }
    out
}

/// The address an endpoint's UDP socket is bound to.
fn local_addr(local: &Local) -> bindings::rxrpc_rs_addr {
    to_c(&local.io.info().local)
}

fn calls(seq: &mut Seq, local: &Local, core: &mut Core) {
    let laddr = local_addr(local);
    let mut cur = None;
    while let Some(h) = core.ep.next_call(cur) {
        cur = Some(h);
        let Some(c) = core.ep.call_info(h) else { continue };
        let abort_code = match c.outcome {
            Some(Outcome::LocalAbort { code, .. } | Outcome::RemoteAbort(code)) => code,
            _ => 0,
        };
        seq.call(&bindings::rxrpc_rs_proc_call {
            local: laddr,
            remote: to_c(&c.peer),
            service_id: c.service_id.into(),
            cid: c.cid,
            call_id: c.call_number,
            abort_code,
            // The engine's handle: unique in the endpoint, as the C
            // module's debug id is in the kernel.
            debug_id: h.0 as u32,
            tx_hard_ack: c.tx.0,
            tx_top: c.tx_top,
            // As the ACKs we send put it: the first sequence not yet
            // consumed, and one past the highest received.
            rx_window: c.rx.0.wrapping_add(1),
            rx_wtop: c.rx.1.wrapping_add(1),
            cwnd: c.cwnd,
            service: !c.client,
            state: state(c.state),
        });
    }
}

fn conns(seq: &mut Seq, local: &Local, core: &mut Core) {
    let laddr = local_addr(local);
    let mut cur = None;
    while let Some(h) = core.ep.next_conn(cur) {
        cur = Some(h);
        let Some(c) = core.ep.conn_info(h) else { continue };
        let name = match (c.client, c.secured) {
            (true, true) => "Client  ",
            (true, false) => "ClUnsec ",
            (false, true) => "SvSecure",
            (false, false) => "SvChall ",
        };
        seq.conn(&bindings::rxrpc_rs_proc_conn {
            local: laddr,
            remote: to_c(&c.peer),
            service_id: c.service_id.into(),
            cid: c.cid,
            active: c.calls.iter().flatten().count() as u32,
            serial: c.serial,
            call_id: c.call_numbers,
            service: !c.client,
            state: state(name),
        });
    }
}

fn bundles(seq: &mut Seq, local: &Local, core: &mut Core) {
    let laddr = local_addr(local);
    let mut cur = None;
    while let Some(h) = core.ep.next_bundle(cur) {
        cur = Some(h);
        let Some(b) = core.ep.bundle_info(h) else { continue };
        seq.bundle(&bindings::rxrpc_rs_proc_bundle {
            local: laddr,
            remote: to_c(&b.peer),
            service_id: b.service_id.into(),
            active: b.conns.iter().flatten().count() as u32,
            upgrade: b.upgrade,
            exclusive: b.exclusive,
            conn_id: b.conns.map(|c| c.unwrap_or(0)),
        });
    }
}

fn micros(d: core::time::Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

fn peers(seq: &mut Seq, local: &Local, core: &mut Core, now: Instant) {
    let laddr = local_addr(local);
    let mut cur: Option<TransportAddr> = None;
    while let Some(a) = core.ep.next_peer(cur) {
        cur = Some(a);
        let Some(p) = core.ep.peer_info(a) else { continue };
        let idle = p.last_tx.map_or(0, |t| now.since(t).as_secs());
        seq.peer(&bindings::rxrpc_rs_proc_peer {
            local: laddr,
            remote: to_c(&p.addr),
            use_: p.conns,
            ssthresh: p.ssthresh,
            mtu: p.mtu,
            srtt_us: p.srtt.map_or(0, micros),
            rto_us: micros(p.rto),
            last_use_s: i32::try_from(idle).unwrap_or(i32::MAX),
        });
    }
}

fn locals(seq: &mut Seq, local: &Local, users: usize) {
    let info = local.io.info();
    let users = u32::try_from(users).unwrap_or(u32::MAX);
    seq.local(&bindings::rxrpc_rs_proc_local {
        local: to_c(&info.local),
        // No reference count: both count the sockets using the endpoint.
        use_: users,
        active: users,
        rx_queued: info.rx_queued,
    });
}

/// Adds the engine's counters of an endpoint, and its glue's, to `st`.
fn add_stats(st: &mut bindings::rxrpc_rs_proc_stats, local: &Local, core: &mut Core) {
    let c: Counters = core.ep.counters();
    let add = |a: &mut u64, b: u64| *a = a.wrapping_add(b);
    add(&mut st.tx_data, c.tx_data);
    add(&mut st.tx_retrans, c.tx_data_retrans);
    add(&mut st.rx_data, c.rx_data);
    add(&mut st.rx_reqack, c.rx_data_reqack);
    add(&mut st.rx_jumbo, c.rx_data_jumbo);
    for i in 0..ACK_REASONS.min(st.tx_acks.len()) {
        add(&mut st.tx_acks[i], c.tx_acks[i]);
        add(&mut st.rx_acks[i], c.rx_acks[i]);
    }
    let mut tx_bytes = 0usize;
    let mut cur = None;
    while let Some(h) = core.ep.next_call(cur) {
        cur = Some(h);
        tx_bytes = tx_bytes.saturating_add(core.ep.call_tx_held(h));
    }
    add(&mut st.tx_bytes, tx_bytes as u64);
    add(&mut st.rx_bytes, core.ep.stats().rx_bytes as u64);
    add(&mut st.io_loops, core.loops);
    let io = local.io.info();
    add(&mut st.tx_data_fail, io.tx_data_fail);
    add(&mut st.rx_dropped, io.rx_dropped);
}

/// An endpoint closes (its last socket let go): keep its counters in its
/// namespace's total. Buffers held are not counters; they are left out.
pub(crate) fn retire(local: &Local, core: &mut Core) {
    let mut st = bindings::rxrpc_rs_proc_stats::default();
    add_stats(&mut st, local, core);
    st.tx_bytes = 0;
    st.rx_bytes = 0;
    retire_counters(local.net(), &st);
}
