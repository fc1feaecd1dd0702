//! /proc/net/rxrpc: calls, conns, bundles, peers, locals and stats of a
//! namespace, with the headers and row formats of the C module
//! (net/rxrpc/proc.c, 6.12), so that the files read the same.
//!
//! The rows are collected from the namespace's local endpoints under their
//! locks (the registry's, then each engine's, briefly) and printed into the
//! seq_file, which does not sleep. If the page overflows, the kernel calls
//! again with a larger one, and the same walk prints the rows again.

use core::ffi::CStr;
use core::fmt::{self, Write};
use core::net::SocketAddr;

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

use super::addr::to_socket;
use super::endpoint::{now, Core, Local};
use super::registry::Registry;
use crate::kapi::net::NetNs;
use crate::kapi::proc::{ProcDir, ProcTables};
use crate::kapi::seq_file::SeqFile;
use crate::proto::{Instant, Outcome, Resend, RxDrops, ACK_REASONS, RESEND_REASONS, RX_DROP_NAMES};

/// The `/proc/net/rxrpc` directory.
pub(crate) struct RxrpcProc;

static PROC: ProcTables<RxrpcProc> = ProcTables::new();

const CALLS: usize = 0;
const CONNS: usize = 1;
const BUNDLES: usize = 2;
const PEERS: usize = 3;
const LOCALS: usize = 4;
const STATS: usize = 5;

/// The start of the headers of the files with two addresses.
const HDR_ADDRS: &str = "Proto Local                                           Remote                                         ";

impl ProcDir for RxrpcProc {
    const NAME: &'static CStr = c"rxrpc";
    const FILES: &'static [&'static CStr] = &[
        c"calls", c"conns", c"bundles", c"peers", c"locals", c"stats",
    ];
    type Data = Arc<Registry>;

    fn tables() -> &'static ProcTables<Self> {
        &PROC
    }

    fn show(registry: &Arc<Registry>, net: NetNs, file: usize, seq: &mut SeqFile<'_>) {
        // A full page is the seq_file core's to handle; nothing fails here.
        let _ = print(registry, net, file, seq);
    }

    fn net_exit(registry: &Arc<Registry>, net: NetNs) {
        registry.retired.forget(net);
    }
}

fn print(registry: &Registry, net: NetNs, file: usize, seq: &mut SeqFile<'_>) -> fmt::Result {
    let now = now();
    match file {
        CALLS => table(
            registry,
            net,
            seq,
            &[HDR_ADDRS, " SvID ConnID   CallID   End Use State    Abort    DebugId  TxSeq    TW RxSeq    RW RxSerial CW RxTimo"],
            |seq, l, core, _| calls(seq, l, core),
        ),
        CONNS => table(
            registry,
            net,
            seq,
            &[HDR_ADDRS, " SvID ConnID   End Ref Act State    Key      Serial   ISerial  CallId0  CallId1  CallId2  CallId3"],
            |seq, l, core, _| conns(seq, l, core),
        ),
        BUNDLES => table(
            registry,
            net,
            seq,
            &[HDR_ADDRS, " SvID Ref Act Flg Key      | Bundle   Conn_0   Conn_1   Conn_2   Conn_3"],
            |seq, l, core, _| bundles(seq, l, core),
        ),
        PEERS => table(
            registry,
            net,
            seq,
            &[HDR_ADDRS, " Use SST   MTU LastUse      RTT      RTO"],
            |seq, l, core, _| peers(seq, l, core, now),
        ),
        LOCALS => table(
            registry,
            net,
            seq,
            &["Proto Local                                           Use Act RxQ"],
            |seq, l, _, users| locals(seq, l, users),
        ),
        STATS => {
            let start = || registry.retired.get(net);
            let st = registry.visit(net, start, |st, l, core, _| st.add(&Stats::of_endpoint(l, core)));
            st.print(seq)
        }
        _ => Ok(()),
    }
}

/// Prints a header line made of `header`, then what `row` prints for each
/// endpoint of `net` (given its core and how many sockets use it).
fn table(
    registry: &Registry,
    net: NetNs,
    seq: &mut SeqFile<'_>,
    header: &[&str],
    mut row: impl FnMut(&mut SeqFile<'_>, &Local, &mut Core, usize) -> fmt::Result,
) -> fmt::Result {
    header.iter().try_for_each(|part| seq.write_str(part))?;
    seq.write_str("\n")?;
    registry.visit(
        net,
        || Ok(()),
        |r, l, core, users| *r = r.and_then(|()| row(seq, l, core, users)),
    )
}

/// An address as the kernel's `%pISpc` prints it: `a.b.c.d:port`, or
/// `[v6]:port` with the longest run of two or more zero groups compressed
/// (which is also what `Ipv6Addr`'s `Display` does).
struct Addr(SocketAddr);

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Text::<64>::new();
        match self.0 {
            SocketAddr::V4(a) => write!(buf, "{}:{}", a.ip(), a.port())?,
            SocketAddr::V6(a) => write!(buf, "[{}]:{}", a.ip(), a.port())?,
        }
        f.pad(buf.as_str())
    }
}

/// A string built on the stack, for padding with `Formatter::pad`.
struct Text<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Text<N> {
    fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever appended.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

impl<const N: usize> Write for Text<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The address an endpoint's UDP socket is bound to.
fn local_addr(local: &Local) -> Addr {
    Addr(local.info().local)
}

fn calls(seq: &mut SeqFile<'_>, local: &Local, core: &mut Core) -> fmt::Result {
    let laddr = local_addr(local);
    let mut cur = None;
    while let Some(h) = core.ep.next_call(cur) {
        cur = Some(h);
        let Some(c) = core.ep.call_info(h) else {
            continue;
        };
        let abort_code = match c.outcome {
            Some(Outcome::LocalAbort { code, .. } | Outcome::RemoteAbort(code)) => code,
            _ => 0,
        };
        // As the ACKs we send put it: the first sequence not yet received in
        // order, and one past the highest received.
        let (rx_window, rx_wtop) = (c.rx.0.wrapping_add(1), c.rx.1.wrapping_add(1));
        writeln!(
            seq,
            "UDP   {:<47.47} {:<47.47} {:4x} {:08x} {:08x} {} {:3} {:<8.8} {:08x} {:08x} {:08x} {:02x} {:08x} {:02x} {:08x} {:02x} {:06x}",
            laddr,
            Addr(to_socket(&c.peer)),
            c.service_id,
            c.cid,
            c.call_number,
            if c.client { "Clt" } else { "Svc" },
            0, // Use: no reference count
            c.state,
            abort_code,
            // The engine's handle: unique in the endpoint, as the C
            // module's debug id is in the kernel.
            h.serial() as u32,
            c.tx.0,
            c.tx_top.wrapping_sub(c.tx.0),
            rx_window,
            rx_wtop.wrapping_sub(rx_window),
            0, // RxSerial: not kept
            c.cwnd,
            0, // RxTimo: not kept
        )?;
    }
    Ok(())
}

fn conns(seq: &mut SeqFile<'_>, local: &Local, core: &mut Core) -> fmt::Result {
    let laddr = local_addr(local);
    let mut cur = None;
    while let Some(h) = core.ep.next_conn(cur) {
        cur = Some(h);
        let Some(c) = core.ep.conn_info(h) else {
            continue;
        };
        // C's states: a client connection's security is set up as it is
        // made; a service one is challenged at once unless unsecured.
        let state = match (c.client, c.secured) {
            (true, _) => "Client  ",
            (false, true) => "SvSecure",
            (false, false) => "SvChall ",
        };
        // The client key's serial; C's service connections show a key
        // made for the session, which nothing can look up: 0 here.
        let key = core.ep.security_mut().host.client_serial(c.key);
        let [c0, c1, c2, c3] = c.call_numbers;
        writeln!(
            seq,
            "UDP   {:<47.47} {:<47.47} {:4x} {:08x} {} {:3} {:3} {} {:08x} {:08x} {:08x} {:08x} {:08x} {:08x} {:08x}",
            laddr,
            Addr(to_socket(&c.peer)),
            c.service_id,
            c.cid,
            if c.client { "Clt" } else { "Svc" },
            0, // Ref: no reference count
            c.calls.iter().flatten().count(),
            state,
            key,
            c.serial,
            0, // ISerial: not kept
            c0,
            c1,
            c2,
            c3,
        )?;
    }
    Ok(())
}

fn bundles(seq: &mut SeqFile<'_>, local: &Local, core: &mut Core) -> fmt::Result {
    let laddr = local_addr(local);
    let mut cur = None;
    while let Some(h) = core.ep.next_bundle(cur) {
        cur = Some(h);
        let Some(b) = core.ep.bundle_info(h) else {
            continue;
        };
        let [c0, c1, c2, c3] = b.conns.map(|c| c.unwrap_or(0));
        let key = core.ep.security_mut().host.client_serial(b.key);
        writeln!(
            seq,
            // The third flag, upgraded, is not kept per bundle.
            "UDP   {:<47.47} {:<47.47} {:4x} {:3} {:3} {}{}- {:08x} | {:08x} {:08x} {:08x} {:08x} {:08x}",
            laddr,
            Addr(to_socket(&b.peer)),
            b.service_id,
            0, // Ref: no reference count
            b.conns.iter().flatten().count(),
            if b.upgrade { 'U' } else { '-' },
            if b.exclusive { 'e' } else { '-' },
            key,
            0, // Bundle debug id
            c0,
            c1,
            c2,
            c3,
        )?;
    }
    Ok(())
}

fn micros(d: core::time::Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

fn peers(seq: &mut SeqFile<'_>, local: &Local, core: &mut Core, now: Instant) -> fmt::Result {
    let laddr = local_addr(local);
    let mut cur = None;
    while let Some(a) = core.ep.next_peer(cur) {
        cur = Some(a);
        let Some(p) = core.ep.peer_info(a) else {
            continue;
        };
        let idle = p.last_tx.map_or(0, |t| now.since(t).as_secs());
        writeln!(
            seq,
            "UDP   {:<47.47} {:<47.47} {:3} {:3} {:5} {:6}s {:8} {:8}",
            laddr,
            Addr(to_socket(&p.addr)),
            p.conns,
            p.ssthresh,
            p.mtu,
            i32::try_from(idle).unwrap_or(i32::MAX),
            p.srtt.map_or(0, micros) as i32,
            micros(p.rto) as i32,
        )?;
    }
    Ok(())
}

fn locals(seq: &mut SeqFile<'_>, local: &Local, users: usize) -> fmt::Result {
    let info = local.info();
    let users = u32::try_from(users).unwrap_or(u32::MAX);
    // No reference count: Use and Act both count the sockets using it.
    writeln!(
        seq,
        "UDP   {:<47.47} {:3} {:3} {:3}",
        Addr(info.local),
        users,
        users,
        info.rx_queued
    )
}

/// The counters of `stats`: of a namespace's endpoints, open and closed.
#[derive(Clone, Copy, Default)]
pub(crate) struct Stats {
    tx_data: u64,
    tx_retrans: u64,
    /// Retransmissions by why (see `Resend`).
    tx_retrans_why: [u64; RESEND_REASONS],
    tx_data_fail: u64,
    rx_data: u64,
    rx_reqack: u64,
    rx_jumbo: u64,
    /// By ACK reason code; 0 counts the other codes.
    tx_acks: [u64; ACK_REASONS],
    rx_acks: [u64; ACK_REASONS],
    tx_bytes: u64,
    rx_bytes: u64,
    io_loops: u64,
    rx_dropped: u64,
    rx_unread: u64,
    rx_drops: RxDrops,
    tx_by_ref: u64,
    tx_by_copy: u64,
}

impl Stats {
    /// The counters of an endpoint: its engine's and its socket's.
    fn of_endpoint(local: &Local, core: &mut Core) -> Self {
        let c = core.ep.counters();
        let tunnel = local.info();
        let mut tx_bytes = 0usize;
        let mut cur = None;
        while let Some(h) = core.ep.next_call(cur) {
            cur = Some(h);
            tx_bytes = tx_bytes.saturating_add(core.ep.call_tx_held(h));
        }
        Self {
            tx_data: c.tx_data,
            tx_retrans: c.tx_data_retrans,
            tx_retrans_why: c.tx_retrans_why.map(u64::from),
            tx_data_fail: core.tx_data_fail,
            rx_data: c.rx_data,
            rx_reqack: c.rx_data_reqack,
            rx_jumbo: c.rx_data_jumbo,
            tx_acks: c.tx_acks,
            rx_acks: c.rx_acks,
            tx_bytes: tx_bytes as u64,
            rx_bytes: core.ep.stats().rx_bytes as u64,
            io_loops: core.loops,
            rx_dropped: tunnel.rx_dropped,
            rx_unread: core.rx_unread,
            rx_drops: core.rx_drops,
            tx_by_ref: tunnel.tx_by_ref,
            tx_by_copy: tunnel.tx_by_copy,
        }
    }

    /// Adds another set of counters.
    fn add(&mut self, o: &Stats) {
        let add = |a: &mut u64, b: u64| *a = a.wrapping_add(b);
        add(&mut self.tx_data, o.tx_data);
        add(&mut self.tx_retrans, o.tx_retrans);
        for i in 0..RESEND_REASONS {
            add(&mut self.tx_retrans_why[i], o.tx_retrans_why[i]);
        }
        add(&mut self.tx_data_fail, o.tx_data_fail);
        add(&mut self.rx_data, o.rx_data);
        add(&mut self.rx_reqack, o.rx_reqack);
        add(&mut self.rx_jumbo, o.rx_jumbo);
        for i in 0..ACK_REASONS {
            add(&mut self.tx_acks[i], o.tx_acks[i]);
            add(&mut self.rx_acks[i], o.rx_acks[i]);
        }
        add(&mut self.tx_bytes, o.tx_bytes);
        add(&mut self.rx_bytes, o.rx_bytes);
        add(&mut self.io_loops, o.io_loops);
        add(&mut self.rx_dropped, o.rx_dropped);
        add(&mut self.rx_unread, o.rx_unread);
        self.rx_drops.add(&o.rx_drops);
        add(&mut self.tx_by_ref, o.tx_by_ref);
        add(&mut self.tx_by_copy, o.tx_by_copy);
    }

    fn print(&self, seq: &mut SeqFile<'_>) -> fmt::Result {
        let acks: u64 = self.tx_acks.iter().fold(0, |a, &b| a.wrapping_add(b));
        let (t, r) = (&self.tx_acks, &self.rx_acks);
        writeln!(
            seq,
            "Data     : send={} sendf=0 fail={}",
            self.tx_data.wrapping_add(self.tx_retrans),
            self.tx_data_fail
        )?;
        writeln!(
            seq,
            "Data-Tx  : nr={} retrans={} uf=0 cwr=0",
            self.tx_data, self.tx_retrans
        )?;
        writeln!(
            seq,
            "Data-Rx  : nr={} reqack={} jumbo={}",
            self.rx_data, self.rx_reqack, self.rx_jumbo
        )?;
        writeln!(seq, "Ack      : fill={acks} send={acks} skip=0")?;
        writeln!(
            seq,
            "Ack-Tx   : req={} dup={} oos={} exw={} nos={} png={} prs={} dly={} idl={}",
            t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9]
        )?;
        writeln!(
            seq,
            "Ack-Rx   : req={} dup={} oos={} exw={} nos={} png={} prs={} dly={} idl={}",
            r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]
        )?;
        writeln!(seq, "Why-Req-A: acklost=0 already=0 mrtt=0 ortt=0")?;
        writeln!(seq, "Why-Req-A: nolast=0 retx=0 slows=0 smtxw=0")?;
        writeln!(
            seq,
            "Buffers  : txb={} rxb={}",
            self.tx_bytes, self.rx_bytes
        )?;
        writeln!(seq, "IO-thread: loops={}", self.io_loops)?;
        // Ours from here: received packets dropped, by why. The queue's
        // (full) and unread ones (too long, no UDP header) before the
        // engine saw them, then the engine's (see `RxDrop`), ten a line.
        writeln!(
            seq,
            "Rx-Queue : dropped={} unread={}",
            self.rx_dropped, self.rx_unread
        )?;
        for (names, counts) in RX_DROP_NAMES.chunks(10).zip(self.rx_drops.0.chunks(10)) {
            seq.write_str("Rx-Drop  :")?;
            for (name, n) in names.iter().zip(counts) {
                write!(seq, " {name}={n}")?;
            }
            writeln!(seq)?;
        }
        // Retransmissions by why they were marked: RACK, the probes (of
        // earlier retransmissions, and of the tail), the RTO, other (the
        // connection secured).
        let w = &self.tx_retrans_why;
        writeln!(
            seq,
            "Retrans  : rack={} again={} rto={} other={}",
            w[Resend::Rack as usize],
            w[Resend::Again as usize],
            w[Resend::Rto as usize],
            w[Resend::Other as usize]
        )?;
        // DATA datagrams of 4 KiB or more: sent by reference, or copied.
        writeln!(
            seq,
            "Tx-Ref   : datagrams={} copied={}",
            self.tx_by_ref, self.tx_by_copy
        )?;
        Ok(())
    }
}

/// The counters of closed endpoints, per namespace, until it goes away.
#[pin_data]
pub(crate) struct Retired {
    /// Slots, reused once their namespace is gone.
    #[pin]
    nets: Mutex<KVec<Option<(NetNs, Stats)>>>,
}

impl Retired {
    /// None yet.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self { nets <- new_mutex!(KVec::new()) })
    }

    /// An endpoint closes (its last socket let go): its counters go on
    /// counting for its namespace. Buffers held are not counters.
    pub(crate) fn add(&self, local: &Local, core: &mut Core) {
        let mut st = Stats::of_endpoint(local, core);
        st.tx_bytes = 0;
        st.rx_bytes = 0;
        let net = local.net();
        let mut nets = self.nets.lock();
        if let Some((_, total)) = nets.iter_mut().flatten().find(|(n, _)| *n == net) {
            total.add(&st);
        } else if let Some(slot) = nets.iter_mut().find(|s| s.is_none()) {
            *slot = Some((net, st));
        } else {
            // Without memory the counters are lost, not the endpoint.
            let _ = nets.push(Some((net, st)), GFP_KERNEL);
        }
    }

    /// The counters of `net`'s closed endpoints.
    fn get(&self, net: NetNs) -> Stats {
        let nets = self.nets.lock();
        nets.iter()
            .flatten()
            .find(|(n, _)| *n == net)
            .map_or_else(Stats::default, |(_, st)| *st)
    }

    /// `net` goes away.
    fn forget(&self, net: NetNs) {
        for slot in self.nets.lock().iter_mut() {
            if slot.as_ref().is_some_and(|(n, _)| *n == net) {
                *slot = None;
            }
        }
    }
}
