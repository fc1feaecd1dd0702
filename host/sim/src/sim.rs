//! Simulated endpoints with test applications, advanced deadline to
//! deadline with no real time passing.
//!
//! Each node is an engine plus two applications: a client that sends a
//! request made of a seeded byte pattern and checks that the reply is the
//! request with every byte XORed with 0x5A, and a server that reads each
//! request whole and sends that reply. Both record how every call ended.

use std::collections::BTreeMap;

use rxrpc_proto::{
    CallHandle, CallParams, CallSecurity, Config, Endpoint, Event, Gather, Instant, Outcome,
    RxDrops, Security, ServiceConfig, Timeouts, TransportAddr, MAX_DATAGRAM,
};

use crate::env::{Pieced, StdEnv, Whole};
use crate::link::{fate, LinkConfig};
use crate::rng::{pattern, Rng};

/// The byte the server XORs into the reply.
pub const REPLY_XOR: u8 = 0x5A;
/// Read size of the applications.
const CHUNK: usize = 65536;
/// A burst of datagrams as the kernel glue takes them (see
/// `Endpoint::poll_transmit_burst`): bytes, datagrams and pieces.
const BURST_BYTES: usize = 65_000;
const BURST_DATAGRAMS: usize = 16;
const BURST_PARTS: usize = 96;
const _: () = assert!(BURST_PARTS >= rxrpc_proto::MAX_PARTS);

/// A burst's datagrams, each its pieces put together.
#[derive(Default)]
struct Gathered {
    datagrams: Vec<Vec<u8>>,
    /// The datagram being put, and its pieces.
    open: Vec<u8>,
    pieces: usize,
}

impl Gather<'_> for Gathered {
    fn room(&self) -> (usize, usize) {
        (
            BURST_PARTS - self.pieces,
            BURST_DATAGRAMS - self.datagrams.len(),
        )
    }

    fn push(&mut self, piece: &[u8]) -> bool {
        self.pieces += 1;
        self.open.extend_from_slice(piece);
        self.pieces <= BURST_PARTS
    }

    fn push_data(&mut self, piece: &[u8]) -> bool {
        crate::env::check_lent(piece);
        self.push(piece)
    }

    fn end(&mut self) -> bool {
        self.datagrams.push(std::mem::take(&mut self.open));
        self.datagrams.len() <= BURST_DATAGRAMS
    }
}

/// How a server application takes incoming calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcceptMode {
    /// Keep user ids charged ahead of time (CHARGE_ACCEPT).
    Charge,
    /// Accept after each NewCall event (NEW_CALL + ACCEPT).
    OnEvent,
    /// Never accept: calls wait in the queue.
    Never,
}

/// The client application's view of one call.
#[derive(Debug)]
pub struct ClientCall {
    /// Engine handle.
    pub handle: CallHandle,
    /// Pattern seed (also the user tag).
    pub seed: u64,
    /// Request length.
    pub req_len: u64,
    /// Request bytes accepted by the engine.
    pub sent: u64,
    /// Reply bytes received.
    pub received: u64,
    /// A reply byte did not match.
    pub mismatch: bool,
    /// The reply's end was seen.
    pub end_seen: bool,
    /// How the call ended.
    pub outcome: Option<Outcome>,
    /// Abort after this many request bytes (test of local aborts).
    pub abort_at: Option<u64>,
    /// Service id reported by the engine at the end.
    pub service_id: u16,
    request: Vec<u8>,
}

/// The server application's view of one call.
#[derive(Debug, Default)]
pub struct ServerCall {
    /// Request received so far.
    pub request: Vec<u8>,
    /// The request's end was seen.
    pub request_done: bool,
    /// Reply bytes accepted by the engine.
    pub sent: usize,
    /// How the call ended.
    pub outcome: Option<Outcome>,
    /// Service id of the call.
    pub service_id: u16,
    reply: Vec<u8>,
}

/// One simulated endpoint.
pub struct Node<S: Security> {
    /// The engine.
    pub ep: Endpoint<StdEnv, S>,
    /// Its address.
    pub addr: TransportAddr,
    /// Client calls made here.
    pub clients: Vec<ClientCall>,
    /// Server calls taken here, by handle.
    pub servers: BTreeMap<CallHandle, ServerCall>,
    /// How server calls are taken.
    pub accept: AcceptMode,
    /// Server application aborts calls with this code instead of replying.
    pub server_abort: Option<u32>,
    /// The applications read received data (false: they leave it queued).
    pub reading: bool,
    /// `TxSpace` events seen.
    pub tx_space_events: u64,
    next_user: u64,
    scratch: Vec<u8>,
    /// Memory used by the engine.
    pub env: StdEnv,
}

/// Counters of a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimStats {
    /// Datagrams handed to the link.
    pub sent: u64,
    /// Datagrams delivered (copies counted).
    pub delivered: u64,
    /// Delivered datagrams the endpoints dropped, by why.
    pub drops: RxDrops,
    /// A hash (FNV-1a) of every datagram handed to the link, in order.
    pub digest: u64,
    /// Datagrams handed over in bursts of several (UDP segmentation
    /// offload's, see `Endpoint::poll_transmit_burst`), each checked to be
    /// as long as the first but the last, which is no longer.
    pub in_bursts: u64,
}

/// A set of nodes joined by one link.
pub struct Sim<S: Security> {
    /// Simulated time.
    pub now: Instant,
    /// The nodes.
    pub nodes: Vec<Node<S>>,
    /// Link impairments.
    pub link: LinkConfig,
    /// Counters.
    pub stats: SimStats,
    rng: Rng,
    flight: BTreeMap<(u64, u64), (usize, TransportAddr, Vec<u8>)>,
    flight_seq: u64,
    /// Latest in-order delivery time per (from, to), to keep FIFO order.
    fifo: BTreeMap<(usize, usize), u64>,
    buf: Vec<u8>,
    /// Print every datagram and event (set by SIM_TRACE).
    pub trace: bool,
    /// Take datagrams whole from `poll_transmit` rather than in pieces
    /// (as the kernel module does), to compare the two.
    pub copying: bool,
}

/// Where to cut the datagram of flight number `seq`, `len` bytes long,
/// into pieces: up to four places, from a hash of `seq` (not the link's
/// random stream, which the runs' figures follow), some in the header and
/// some twice (an empty piece).
fn cuts(seq: u64, len: usize) -> Vec<usize> {
    let mut h = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut cuts: Vec<usize> = (0..(h >> 61) % 5)
        .map(|_| {
            h = h.rotate_left(17).wrapping_mul(0xff51_afd7_ed55_8ccd);
            (h % (len as u64 + 1)) as usize
        })
        .collect();
    cuts.sort_unstable();
    cuts
}

/// A one-line description of a datagram, for traces.
pub fn describe(data: &[u8]) -> String {
    use rxrpc_proto::wire::{decode, Packet};
    match decode(data) {
        Err(e) => format!("undecodable {e:?}"),
        Ok((h, p)) => {
            let head = format!(
                "cid {:x} call {} seq {} serial {} flags {:#x} svc {} us {}",
                h.cid,
                h.call_number,
                h.seq,
                h.serial,
                h.flags.bits(),
                h.service_id,
                h.user_status
            );
            let body = match p {
                Packet::Data(d) => format!("DATA len {}", d.body().len()),
                Packet::Ack(a) => format!(
                    "ACK first {} prev {} serial {} reason {} nacks {:?}",
                    a.first_packet,
                    a.previous_packet,
                    a.serial,
                    a.reason.0,
                    a.acks
                        .iter()
                        .map(|b| char::from(b'0' + b))
                        .collect::<String>()
                ),
                other => format!("{other:?}"),
            };
            format!("{body} [{head}]")
        }
    }
}

/// The address of node `i`.
pub fn addr(i: usize) -> TransportAddr {
    TransportAddr::V4([10, 0, 0, i as u8 + 1], 7000)
}

impl<S: Security> Sim<S> {
    /// A simulation with no nodes.
    pub fn new(seed: u64, link: LinkConfig) -> Self {
        Sim {
            now: Instant(1_000_000_000),
            nodes: Vec::new(),
            link,
            stats: SimStats::default(),
            rng: Rng::new(seed),
            flight: BTreeMap::new(),
            flight_seq: 0,
            fifo: BTreeMap::new(),
            buf: vec![0; BURST_BYTES + MAX_DATAGRAM],
            trace: std::env::var_os("SIM_TRACE").is_some(),
            copying: false,
        }
    }

    /// Add a node with security `sec` and service config `svc`.
    pub fn add_node(&mut self, sec: S, svc: ServiceConfig, accept: AcceptMode) -> usize {
        let env = StdEnv {
            path_mtu: self.link.route_mtu,
            ..StdEnv::default()
        };
        let cfg = Config {
            epoch: self.rng.next_u64() as u32,
            first_conn_id: (self.rng.next_u64() as u32) & 0x3fff_ffff,
            ..Config::default()
        };
        let mut ep = Endpoint::new(env.clone(), sec, cfg);
        if svc.service_ids[0] != 0 {
            ep.listen(svc).expect("listen");
        }
        let i = self.nodes.len();
        self.nodes.push(Node {
            ep,
            addr: addr(i),
            clients: Vec::new(),
            servers: BTreeMap::new(),
            accept,
            server_abort: None,
            reading: true,
            tx_space_events: 0,
            next_user: 1,
            scratch: vec![0; CHUNK],
            env,
        });
        i
    }

    /// Start a client call from node `from` to node `to`.
    pub fn call(
        &mut self,
        from: usize,
        to: usize,
        service_id: u16,
        req_len: u64,
        opts: CallOpts,
    ) -> Option<usize> {
        let now = self.now;
        let remote = self.nodes[to].addr;
        let n = &mut self.nodes[from];
        let seed = n.next_user | (from as u64) << 48;
        n.next_user += 1;
        let params = CallParams {
            remote,
            service_id,
            user: seed,
            upgrade: opts.upgrade,
            exclusive: opts.exclusive,
            security: opts.security,
            timeouts: opts.timeouts,
        };
        let handle = n.ep.begin_call(now, params).ok()?;
        n.clients.push(ClientCall {
            handle,
            seed,
            req_len,
            sent: 0,
            received: 0,
            mismatch: false,
            end_seen: false,
            outcome: None,
            abort_at: opts.abort_at,
            service_id,
            request: (0..req_len).map(|i| pattern(seed, i)).collect(),
        });
        Some(n.clients.len() - 1)
    }

    /// Run until `done` holds or simulated time passes `limit`; returns
    /// whether `done` held.
    pub fn run_until(&mut self, limit: Instant, mut done: impl FnMut(&Self) -> bool) -> bool {
        loop {
            self.drive();
            if done(self) {
                return true;
            }
            let mut next = self.flight.keys().next().map(|k| Instant(k.0));
            for n in &mut self.nodes {
                if let Some(t) = n.ep.poll_timeout() {
                    next = Some(next.map_or(t, |x: Instant| x.min(t)));
                }
            }
            let Some(next) = next else { return done(self) };
            if next > limit {
                return false;
            }
            self.now = self.now.max(next);
            let now = self.now;
            while let Some((&(at, seq), _)) = self.flight.iter().next() {
                if at > now.0 {
                    break;
                }
                let Some((to, from, data)) = self.flight.remove(&(at, seq)) else {
                    break;
                };
                self.stats.delivered += 1;
                // Datagrams handed over whole, in one piece or cut in
                // several (as a paged skb's), or lent, so that DATA is
                // kept as received, read across pieces and copied.
                let ep = &mut self.nodes[to].ep;
                let dropped = match seq % 4 {
                    0 => ep.handle_received(now, from, &Whole(data.into())),
                    1 | 2 => {
                        ep.handle_received(now, from, &Pieced::cut(&data, &cuts(seq, data.len())))
                    }
                    _ => ep.handle_datagram(now, from, &data),
                };
                if let Some(why) = dropped {
                    self.stats.drops.count(why);
                }
                self.drive();
            }
            for n in &mut self.nodes {
                if n.ep.poll_timeout().is_some_and(|t| t <= now) {
                    n.ep.handle_timeout(now);
                }
            }
        }
    }

    /// Run until every client call has ended and every server call too.
    pub fn run_calls(&mut self, limit: Instant) -> bool {
        self.run_until(limit, |s| s.all_done())
    }

    /// Whether all applications saw all their calls end.
    pub fn all_done(&self) -> bool {
        self.nodes.iter().all(|n| {
            n.clients.iter().all(|c| c.outcome.is_some())
                && n.servers.values().all(|c| c.outcome.is_some())
        })
    }

    /// Let every node's applications act and drain every output until
    /// nothing moves.
    fn drive(&mut self) {
        loop {
            let mut moved = false;
            for i in 0..self.nodes.len() {
                moved |= self.apps(i);
                loop {
                    let ep = &mut self.nodes[i].ep;
                    let next = if self.copying {
                        ep.poll_transmit(self.now, &mut self.buf)
                            .map(|(to, len)| (to, vec![self.buf[..len].to_vec()]))
                    } else {
                        let mut g = Gathered::default();
                        ep.poll_transmit_burst(self.now, &mut self.buf, BURST_BYTES, &mut g)
                            .map(|b| {
                                g.datagrams.truncate(b.datagrams);
                                (b.to, g.datagrams)
                            })
                    };
                    let Some((to, dgrams)) = next else {
                        break;
                    };
                    moved = true;
                    if let [first, .., last] = &dgrams[..] {
                        let seg = first.len();
                        let (body, _) = dgrams.split_at(dgrams.len() - 1);
                        assert!(body.iter().all(|d| d.len() == seg) && last.len() <= seg);
                        self.stats.in_bursts += dgrams.len() as u64;
                    }
                    for data in dgrams {
                        self.send_datagram(i, to, data);
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Put datagram `data` from node `i` to `to` on the link.
    fn send_datagram(&mut self, i: usize, to: TransportAddr, mut data: Vec<u8>) {
        self.stats.sent += 1;
        self.stats.digest = data
            .iter()
            .fold(self.stats.digest ^ 0xcbf2_9ce4_8422_2325, |h, &b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        let from = self.nodes[i].addr;
        let Some(dst) = self.nodes.iter().position(|n| n.addr == to) else {
            return;
        };
        if self.trace {
            eprintln!(
                "{:>12.6} {} -> {}: {}",
                self.now.0 as f64 / 1e9,
                i,
                dst,
                describe(&data)
            );
        }
        for (d, reordered) in fate(&self.link, &mut self.rng, &mut data) {
            let mut at = self.now.0 + d;
            if !reordered {
                let last = self.fifo.entry((i, dst)).or_insert(0);
                at = at.max(*last);
                *last = at;
            }
            self.flight_seq += 1;
            self.flight
                .insert((at, self.flight_seq), (dst, from, data.clone()));
        }
    }

    /// Node `i`'s applications handle events and push data. Returns
    /// whether anything happened.
    fn apps(&mut self, i: usize) -> bool {
        let now = self.now;
        let trace = self.trace;
        let n = &mut self.nodes[i];
        let mut moved = false;
        if n.accept == AcceptMode::Charge {
            // As kAFS does: charges fill the backlog. A call beyond them
            // gets BUSY.
            loop {
                let user = n.next_user | (i as u64) << 48 | 1 << 40;
                if n.ep.charge(now, user).is_err() {
                    break;
                }
                n.next_user += 1;
            }
        }
        while let Some(ev) = n.ep.poll_event() {
            moved = true;
            if trace {
                eprintln!("{:>12.6} node {i} event {ev:?}", now.0 as f64 / 1e9);
            }
            match ev {
                Event::NewCall { .. } => {
                    if n.accept != AcceptMode::Never {
                        let user = n.next_user | (i as u64) << 48 | 1 << 40;
                        n.next_user += 1;
                        if let Ok(h) = n.ep.accept_next(now, user) {
                            n.servers.insert(h, ServerCall::default());
                        }
                    }
                }
                Event::DataReady { call, .. } | Event::TxSpace { call, .. } => {
                    if matches!(ev, Event::TxSpace { .. }) {
                        n.tx_space_events += 1;
                    }
                    if n.accept == AcceptMode::Charge
                        && !n.servers.contains_key(&call)
                        && !n.is_client(call)
                    {
                        n.servers.insert(call, ServerCall::default());
                    }
                }
                Event::Complete { call, outcome, .. } => {
                    if n.accept == AcceptMode::Charge
                        && !n.servers.contains_key(&call)
                        && !n.is_client(call)
                    {
                        n.servers.insert(call, ServerCall::default());
                    }
                    n.read_all(call, now);
                    let sid = n.ep.call_service_id(call).unwrap_or(0);
                    if let Some(c) = n.clients.iter_mut().find(|c| c.handle == call) {
                        c.outcome = Some(outcome);
                        c.service_id = sid;
                    } else if let Some(s) = n.servers.get_mut(&call) {
                        s.outcome = Some(outcome);
                        s.service_id = sid;
                    }
                    n.ep.release(now, call);
                }
            }
        }
        moved |= n.push_data(now);
        moved
    }
}

/// Options of a client call.
#[derive(Clone, Copy, Debug, Default)]
pub struct CallOpts {
    /// Ask for a service upgrade.
    pub upgrade: bool,
    /// Use an exclusive connection.
    pub exclusive: bool,
    /// Security to use.
    pub security: CallSecurity,
    /// Timeouts of the call.
    pub timeouts: Timeouts,
    /// Abort the call after this many request bytes.
    pub abort_at: Option<u64>,
}

impl<S: Security> Node<S> {
    fn is_client(&self, h: CallHandle) -> bool {
        self.clients.iter().any(|c| c.handle == h)
    }

    /// Read whatever the call has, checking client replies on the way.
    fn read_all(&mut self, h: CallHandle, now: Instant) -> bool {
        let mut buf = std::mem::take(&mut self.scratch);
        let moved = self.read_into(h, now, &mut buf);
        self.scratch = buf;
        moved
    }

    fn read_into(&mut self, h: CallHandle, now: Instant, buf: &mut [u8]) -> bool {
        let mut moved = false;
        if !self.reading {
            return moved;
        }
        loop {
            let Ok(r) = self.ep.recv(now, h, buf, false) else {
                return moved;
            };
            if r.bytes == 0 && !r.end_of_data {
                return moved;
            }
            if let Some(c) = self.clients.iter_mut().find(|c| c.handle == h) {
                if c.end_seen {
                    return moved;
                }
                for (k, b) in buf[..r.bytes].iter().enumerate() {
                    let pos = c.received + k as u64;
                    if pos >= c.req_len || *b != pattern(c.seed, pos) ^ REPLY_XOR {
                        c.mismatch = true;
                    }
                }
                c.received += r.bytes as u64;
                c.end_seen |= r.end_of_data;
            } else if let Some(s) = self.servers.get_mut(&h) {
                if s.request_done {
                    return moved;
                }
                s.request.extend_from_slice(&buf[..r.bytes]);
                s.request_done |= r.end_of_data;
            } else {
                return moved;
            }
            moved = true;
            if r.end_of_data {
                return moved;
            }
        }
    }

    /// Push request and reply data as far as the engine takes it.
    fn push_data(&mut self, now: Instant) -> bool {
        let mut moved = false;
        for k in 0..self.clients.len() {
            let h = self.clients[k].handle;
            if self.clients[k].outcome.is_none() {
                moved |= self.read_all(h, now);
            }
            let c = &mut self.clients[k];
            if c.outcome.is_some()
                || c.sent >= c.req_len && c.req_len > 0
                || (c.req_len == 0 && c.sent == 1)
            {
                continue;
            }
            if let Some(a) = c.abort_at {
                if c.sent >= a {
                    if self.ep.abort(now, h, 0x1234).is_ok() {
                        moved = true;
                    }
                    continue;
                }
            }
            let from = c.sent.min(c.req_len) as usize;
            let more = false;
            if let Ok(m) = self.ep.send(h, &c.request[from..], more) {
                moved |= m > 0;
                c.sent += m as u64;
                if c.req_len == 0 {
                    c.sent = 1;
                    moved = true;
                }
            }
        }
        let handles: Vec<CallHandle> = self.servers.keys().copied().collect();
        for h in handles {
            moved |= self.read_all(h, now);
            let abort = self.server_abort;
            let Some(s) = self.servers.get_mut(&h) else {
                continue;
            };
            if s.outcome.is_some() || !s.request_done || s.sent > s.request.len() {
                continue;
            }
            if let Some(code) = abort {
                if self.ep.abort(now, h, code).is_ok() {
                    moved = true;
                }
                continue;
            }
            if s.reply.len() != s.request.len() {
                s.reply = s.request.iter().map(|b| b ^ REPLY_XOR).collect();
            }
            if let Ok(m) = self.ep.send(h, &s.reply[s.sent..], false) {
                s.sent += m;
                moved |= m > 0;
                if s.sent == s.reply.len() {
                    // Mark the reply as fully handed over.
                    s.sent = s.reply.len() + 1;
                    moved = true;
                }
            }
        }
        moved
    }
}
