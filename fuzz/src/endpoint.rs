//! The `endpoint` target: a script of operations against one engine
//! endpoint, driven through its public API as the module's socket glue and
//! the simulator drive it. The endpoint listens on [`SERVICE`] (upgradable
//! to [`UPGRADED`]) and makes client calls to four peers; the script plays
//! those peers (datagrams, ICMP errors), the clock and the application.
//!
//! Peers' packets are raw bytes or built from fields: either forged from
//! scratch or as a reply to one of the last packets the endpoint sent, so
//! that the fuzzer reaches live connections and calls without guessing
//! epochs and connection ids. A RESPONSE can be computed by a real rxkad
//! client, so that secured service connections come up too.
//!
//! Checked on the way, besides "no panic": every packet sent decodes, goes
//! to a peer, and carries our epoch if it is DATA of our calls; events
//! name calls the application holds; a call completes once; deadlines that are due
//! stop being due after `handle_timeout`; and at the end, once the
//! application has released every call and time has run out every idle
//! timer, the endpoint holds nothing (no leak).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use rxrpc_crypto::{HostToken, ServerKey, TestHost};
use rxrpc_proto::rxkad::Rxkad;
use rxrpc_proto::wire::{
    self, Ack, AckReason, AckTrailer, Data, Flags, Header, JumboPart, Packet, Version,
    JUMBO_DATALEN, MAX_ACKS, TYPE_CHALLENGE,
};
use rxrpc_proto::{
    CallHandle, CallParams, CallSecurity, Config, ConnIdent, Endpoint, Event, Instant, PacketIdent,
    Security, ServiceConfig, Stats, Timeouts, TransportAddr, MAX_PACKET,
};
use rxrpc_sim::env::{Pieced, Whole};
use rxrpc_sim::StdEnv;

use crate::script::Reader;

/// The service the endpoint listens on.
pub const SERVICE: u16 = 52;
/// The service [`SERVICE`] upgrades to.
pub const UPGRADED: u16 = 53;
/// Tag of the keyring holding the server key.
pub const KEYRING: u64 = 1;
/// Tag of the client key (a token for [`SERVICE`]).
pub const CLIENT_KEY: u64 = 1;
/// The endpoint's epoch.
pub const EPOCH: u32 = 0x9000_0001;
/// Wall-clock seconds at the start, for rxkad tickets.
pub const WALL: i64 = 1_700_000_000;
const SERVER_KEY: [u8; 8] = *b"\x8a\x1c\x3e\x5d\x70\x92\xb4\xd6";
const SESSION_KEY: [u8; 8] = *b"\x13\x57\x9b\xdf\x02\x46\x8a\xce";
/// Templates kept: the last packets the endpoint sent.
const TEMPLATES: usize = 16;
/// Bounds on loops that must end: drains, timer runs, the final wind-down.
const LOOP_LIMIT: usize = 100_000;

/// The peers' addresses.
pub const PEERS: [TransportAddr; 4] = [
    TransportAddr::V4([10, 0, 0, 2], 7000),
    TransportAddr::V4([10, 0, 0, 3], 7001),
    TransportAddr::V6([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4], 7000),
    TransportAddr::V4([10, 0, 0, 2], 7003),
];

/// Operation codes: the first byte of each operation, modulo [`op::COUNT`].
/// The fields that follow are listed with each.
pub mod op {
    /// `from: u8, bytes`: a datagram of raw bytes.
    pub const DATAGRAM: u8 = 0;
    /// A packet built from fields; see [`super::Harness::packet`].
    pub const PACKET: u8 = 1;
    /// `from: u8, errno: u8`: an ICMP error about a peer.
    pub const ICMP: u8 = 2;
    /// `ms: u16`: time passes (seconds if the top bit is set).
    pub const ADVANCE: u8 = 3;
    /// Time jumps to the next deadline.
    pub const TIMERS: u8 = 4;
    /// `to: u8, service: u8, security: u8, opts: u8`: a client call.
    pub const CALL: u8 = 5;
    /// `call: u8, len: u16, more: u8`: the application sends.
    pub const SEND: u8 = 6;
    /// `call: u8, len: u16, peek: u8`: the application reads.
    pub const RECV: u8 = 7;
    /// `call: u8, len: u16`: the application consumes peeked data.
    pub const CONSUME: u8 = 8;
    /// `call: u8, code: u32`: the application aborts a call.
    pub const ABORT: u8 = 9;
    /// `call: u8`: the application releases a call.
    pub const RELEASE: u8 = 10;
    /// A user id charged for an incoming call.
    pub const CHARGE: u8 = 11;
    /// The application accepts the next waiting call.
    pub const ACCEPT: u8 = 12;
    /// `call: u8, len: u16`: RXRPC_TX_LENGTH.
    pub const TX_LENGTH: u8 = 13;
    /// `call: u8, which: u8, secs: u8`: RXRPC_SET_CALL_TIMEOUT.
    pub const TIMEOUTS: u8 = 14;
    /// `bytes: u32`: the receive buffer limit.
    pub const RX_LIMIT: u8 = 15;
    /// `backlog: u8, flags: u8`: listen again with other settings.
    pub const LISTEN: u8 = 16;
    /// `allocations: u8`: memory runs out after that many (255: never).
    pub const BUDGET: u8 = 17;
    /// Number of operations.
    pub const COUNT: u8 = 18;
}

/// Body kinds of [`op::PACKET`], modulo [`body::COUNT`].
pub mod body {
    /// `len: u16, shape: u8`: DATA, a jumbo of `shape & 3` more parts, or
    /// (none) secured at rxkad level `(shape >> 2 & 3) - 1` if that is not -1.
    pub const DATA: u8 = 0;
    /// `first: u32, prev: u32, serial: u32, reason: u8, acks, trailer: u8
    /// [rwind: u8, jumbo_max: u8, mtu: u16]`: ACK, fields relative to the
    /// template's seq and serial.
    pub const ACK: u8 = 1;
    /// BUSY.
    pub const BUSY: u8 = 2;
    /// `code: u32`: ABORT.
    pub const ABORT: u8 = 3;
    /// ACKALL.
    pub const ACKALL: u8 = 4;
    /// `nonce: u32, min_level: u8, version: u8` (0: 2): CHALLENGE.
    pub const CHALLENGE: u8 = 5;
    /// `level: u8`: the RESPONSE a real client makes to the template
    /// CHALLENGE (an empty one if the template is none).
    pub const RESPONSE: u8 = 6;
    /// `ptype: u8, bytes`: any type with a raw body.
    pub const RAW: u8 = 7;
    /// `bytes`: VERSION.
    pub const VERSION: u8 = 8;
    /// Number of body kinds.
    pub const COUNT: u8 = 9;
}

/// Bits of the packet op's `wild` byte: header fields read whole
/// (in this order) instead of taken from the template.
pub mod wild {
    /// `epoch: u32`.
    pub const EPOCH: u8 = 1;
    /// `cid: u32`.
    pub const CID: u8 = 2;
    /// `call_number: u32`.
    pub const CALL: u8 = 4;
    /// `security_index: u8`.
    pub const SECURITY: u8 = 8;
    /// `service_id: u16`.
    pub const SERVICE: u8 = 16;
    /// `user_status: u8`.
    pub const STATUS: u8 = 32;
    /// `cksum: u16`.
    pub const CKSUM: u8 = 64;
    /// The flags byte is the flags, not toggles on the template's.
    pub const FLAGS: u8 = 128;
}

type Class = Rxkad<TestHost>;

/// The endpoint, the application's view of it and the peers' state.
pub struct Harness {
    ep: Endpoint<StdEnv, Class>,
    env: StdEnv,
    now: Instant,
    /// Calls the application holds, in the order it learned them.
    calls: Vec<CallHandle>,
    completed: BTreeSet<CallHandle>,
    next_user: u64,
    /// The last packets sent, with their destination.
    templates: VecDeque<(TransportAddr, Vec<u8>)>,
    /// The peers' client side: makes RESPONSEs.
    peer_sec: Class,
    /// Call numbers the peers used per connection (epoch, cid) and channel.
    peer_calls: BTreeMap<(u32, u32), [u32; 4]>,
    serial: u32,
    buf: Vec<u8>,
}

fn host() -> TestHost {
    let mut h = TestHost::at(WALL);
    h.tokens.push((
        CLIENT_KEY,
        HostToken::mint(SESSION_KEY, &SERVER_KEY, 3, WALL - 60, 8 * 3600),
    ));
    for service in [SERVICE, UPGRADED] {
        h.server_keys.push(ServerKey {
            keyring: KEYRING,
            service,
            kvno: None,
            key: SERVER_KEY,
        });
    }
    h
}

fn service_config(backlog: u32, flags: u8) -> ServiceConfig {
    ServiceConfig {
        service_ids: [SERVICE, if flags & 1 == 0 { UPGRADED } else { 0 }],
        upgrade: (flags & 1 == 0).then_some((SERVICE, UPGRADED)),
        backlog,
        charge_only: flags & 2 != 0,
        min_security_index: if flags & 4 != 0 { 2 } else { 0 },
        min_security_level: u32::from(flags >> 4 & 3),
        keyring: if flags & 8 != 0 { 0 } else { KEYRING },
    }
}

/// Runs one script.
pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let mut h = Harness::new(r.u8());
    let mut ops = 0;
    while !r.is_empty() && ops < 4096 {
        h.step(&mut r);
        ops += 1;
    }
    h.finish();
}

impl Harness {
    /// An endpoint listening on [`SERVICE`]; `window` above 0x7f sets a
    /// small receive window, and its bit 0x40 has its rxkad seal level 2
    /// packets many at once (as on a vector unit).
    pub fn new(window: u8) -> Self {
        let env = StdEnv::default();
        let config = Config {
            epoch: EPOCH,
            first_conn_id: 0x100,
            rx_window: if window & 0x80 != 0 {
                u32::from(window & 0x7f) + 1
            } else {
                255
            },
            ..Config::default()
        };
        let mut sec = Rxkad::new(host());
        sec.host.lanes = window & 0x40 != 0;
        let mut ep = Endpoint::new(env.clone(), sec, config);
        ep.listen(service_config(8, 0)).expect("listen");
        Harness {
            ep,
            env,
            now: Instant(1_000_000_000),
            calls: Vec::new(),
            completed: BTreeSet::new(),
            next_user: 1,
            templates: VecDeque::new(),
            peer_sec: Rxkad::new(host()),
            peer_calls: BTreeMap::new(),
            serial: 0,
            buf: vec![0; 1 << 16],
        }
    }

    fn call(&self, sel: u8) -> Option<CallHandle> {
        (!self.calls.is_empty()).then(|| self.calls[usize::from(sel) % self.calls.len()])
    }

    /// Runs one operation, then what follows it in the module: draining
    /// every output and running due timers.
    pub fn step(&mut self, r: &mut Reader<'_>) {
        let now = self.now;
        match r.u8() % op::COUNT {
            op::DATAGRAM => {
                let from = PEERS[usize::from(r.u8()) % PEERS.len()];
                let bytes = r.bytes();
                self.ep.handle_datagram(now, from, bytes);
            }
            op::PACKET => self.packet(r),
            op::ICMP => {
                let from = PEERS[usize::from(r.u8()) % PEERS.len()];
                let errno = i32::from(r.u8());
                self.ep.handle_icmp(now, from, errno);
            }
            op::ADVANCE => {
                let v = r.u16();
                let d = if v & 0x8000 != 0 {
                    Duration::from_secs(u64::from(v & 0x7fff))
                } else {
                    Duration::from_millis(u64::from(v))
                };
                self.advance(now.after(d));
            }
            op::TIMERS => {
                if let Some(t) = self.ep.poll_timeout() {
                    self.advance(t.max(now));
                }
            }
            op::CALL => self.begin_call(r),
            op::SEND => {
                let (call, len, more) = (self.call(r.u8()), r.u16(), r.u8());
                if let Some(c) = call {
                    let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
                    if let Ok(n) = self.ep.send(c, &data, more & 1 != 0) {
                        assert!(n <= data.len(), "send took more than given");
                    }
                }
            }
            op::RECV => {
                let (call, len, peek) = (self.call(r.u8()), r.u16(), r.u8());
                if let Some(c) = call {
                    let out = &mut self.buf[..usize::from(len)];
                    if let Ok(res) = self.ep.recv(now, c, out, peek & 1 != 0) {
                        assert!(res.bytes <= out.len(), "recv overran the buffer");
                    }
                }
            }
            op::CONSUME => {
                let (call, len) = (self.call(r.u8()), r.u16());
                if let Some(c) = call {
                    let _ = self.ep.consume(now, c, usize::from(len));
                }
            }
            op::ABORT => {
                let (call, code) = (self.call(r.u8()), r.u32());
                if let Some(c) = call {
                    let _ = self.ep.abort(now, c, code);
                }
            }
            op::RELEASE => {
                let sel = r.u8();
                if let Some(c) = self.call(sel) {
                    self.ep.release(now, c);
                    self.calls.retain(|&x| x != c);
                }
            }
            op::CHARGE => {
                let user = self.user();
                if let Ok(Some(c)) = self.ep.charge(now, user) {
                    self.calls.push(c);
                }
            }
            op::ACCEPT => {
                let user = self.user();
                if let Ok(c) = self.ep.accept_next(now, user) {
                    self.calls.push(c);
                }
            }
            op::TX_LENGTH => {
                let (call, len) = (self.call(r.u8()), r.u16());
                if let Some(c) = call {
                    let _ = self.ep.set_tx_length(c, u64::from(len));
                }
            }
            op::TIMEOUTS => {
                let (call, which, secs) = (self.call(r.u8()), r.u8(), r.u8());
                let d = Some(Duration::from_millis(u64::from(secs) * 100));
                if let Some(c) = call {
                    let pick = |bit: u8| (which & bit != 0).then_some(d).flatten();
                    let _ = self.ep.set_call_timeouts(now, c, pick(1), pick(2), pick(4));
                }
            }
            op::RX_LIMIT => self.ep.set_rx_buffer_limit(r.u32() as usize),
            op::LISTEN => {
                let (backlog, flags) = (r.u8(), r.u8());
                let _ = self
                    .ep
                    .listen(service_config(u32::from(backlog % 34), flags));
            }
            op::BUDGET => {
                let n = r.u8();
                self.env.budget.set((n != 255).then_some(u64::from(n)));
            }
            _ => unreachable!(),
        }
        self.drain();
        self.run_due();
        self.observe();
    }

    fn user(&mut self) -> u64 {
        self.next_user += 1;
        self.next_user
    }

    fn begin_call(&mut self, r: &mut Reader<'_>) {
        let (to, service, security, opts) = (r.u8(), r.u8(), r.u8(), r.u8());
        let service_id = match service % 4 {
            0 => SERVICE,
            1 => UPGRADED,
            2 => 1,
            _ => u16::from(service),
        };
        let security = match security % 6 {
            0 => CallSecurity::default(),
            l @ 1..=3 => CallSecurity {
                index: 2,
                level: u32::from(l - 1),
                key: CLIENT_KEY,
            },
            4 => CallSecurity {
                index: 2,
                level: 1,
                key: 99,
            },
            _ => CallSecurity {
                index: 5,
                level: 0,
                key: CLIENT_KEY,
            },
        };
        let secs = |bits: u8| Duration::from_secs(u64::from(bits) * 5 + 1);
        let timeouts = Timeouts {
            hard: (opts & 4 != 0).then(|| secs(opts >> 4 & 3)),
            idle: (opts & 8 == 0).then(|| secs(opts >> 6)),
            normal: None,
        };
        let user = self.user();
        let p = CallParams {
            remote: PEERS[usize::from(to) % PEERS.len()],
            service_id,
            user,
            upgrade: opts & 1 != 0,
            exclusive: opts & 2 != 0,
            security,
            timeouts,
        };
        if let Ok(c) = self.ep.begin_call(self.now, p) {
            self.calls.push(c);
        }
    }

    /// [`op::PACKET`]: `base: u8, flags: u8, seq: u32, serial: u32, wild: u8`,
    /// the wild fields, then `kind: u8` and the body's fields.
    ///
    /// `base` below 0x80 picks a template, counting back from the last
    /// packet sent: the header is the peer's side of its connection and
    /// call, from its destination. From 0x80 up, it is a client's packet
    /// from scratch: peer `base % 4`, epoch `0x1000 + (base >> 4 & 7)`,
    /// cid `((base >> 2 & 3) + 1) << 2`, call 1, [`SERVICE`], no security.
    /// `flags` toggles bits of the header's flags; `seq` is the header's;
    /// `serial` is added to a running serial.
    fn packet(&mut self, r: &mut Reader<'_>) {
        let (base, flags, seq, serial, wild) = (r.u8(), r.u8(), r.u32(), r.u32(), r.u8());
        self.serial = self.serial.wrapping_add(1);
        let template = (base < 0x80 && !self.templates.is_empty()).then(|| {
            let i = self.templates.len() - 1 - usize::from(base) % self.templates.len();
            self.templates[i].clone()
        });
        let (from, mut hdr, tpl_body) = match &template {
            Some((to, bytes)) => {
                let (mut h, ptype, body) = Header::decode(bytes).expect("templates decode");
                h.flags = Flags::from_bits(!h.flags.bits() & 1);
                (*to, h, Some((ptype, body)))
            }
            None => (
                PEERS[usize::from(base) % PEERS.len()],
                Header {
                    epoch: 0x1000 + u32::from(base >> 4 & 7),
                    cid: (u32::from(base >> 2 & 3) + 1) << 2,
                    call_number: 1,
                    seq: 0,
                    serial: 0,
                    flags: Flags::CLIENT_INITIATED,
                    user_status: 0,
                    security_index: 0,
                    cksum: 0,
                    service_id: SERVICE,
                },
                None,
            ),
        };
        let (base_seq, base_serial) = (hdr.seq, hdr.serial);
        hdr.seq = seq;
        hdr.serial = self.serial.wrapping_add(serial);
        hdr.flags = Flags::from_bits(hdr.flags.bits() ^ flags);
        hdr.cksum = 0;
        if wild & wild::EPOCH != 0 {
            hdr.epoch = r.u32();
        }
        if wild & wild::CID != 0 {
            hdr.cid = r.u32();
        }
        if wild & wild::CALL != 0 {
            hdr.call_number = r.u32();
        }
        if wild & wild::SECURITY != 0 {
            hdr.security_index = r.u8();
        }
        if wild & wild::SERVICE != 0 {
            hdr.service_id = r.u16();
        }
        if wild & wild::STATUS != 0 {
            hdr.user_status = r.u8();
        }
        if wild & wild::CKSUM != 0 {
            hdr.cksum = r.u16();
        }
        if wild & wild::FLAGS != 0 {
            hdr.flags = Flags::from_bits(flags);
        }

        let mut out = vec![0u8; 1 << 17];
        let kind = r.u8() % body::COUNT;
        if matches!(kind, body::CHALLENGE | body::RESPONSE) && wild & wild::CALL == 0 {
            hdr.call_number = 0;
        }
        let n = match kind {
            body::DATA => {
                let (len, shape) = (usize::from(r.u16()) % 1500, r.u8());
                let jumbo = usize::from(shape & 3);
                let payload: Vec<u8> = (0..JUMBO_DATALEN.max(len)).map(|i| i as u8).collect();
                let parts: Vec<JumboPart<'_>> = (0..jumbo)
                    .map(|i| JumboPart {
                        flags: Flags::from_bits(if i + 1 == jumbo { flags } else { flags & !4 }),
                        cksum: 0,
                        payload: if i + 1 == jumbo {
                            &payload[..len]
                        } else {
                            &payload[..JUMBO_DATALEN]
                        },
                    })
                    .collect();
                let first = if jumbo > 0 {
                    &payload[..JUMBO_DATALEN]
                } else {
                    &payload[..len]
                };
                if jumbo > 0 {
                    hdr.flags = hdr.flags.with(Flags::LAST_PACKET, false);
                }
                self.note_call(&hdr);
                let mut sealed = [0u8; 2048];
                if jumbo == 0 && shape >> 2 & 3 != 0 {
                    if let Some((n, cksum)) =
                        self.seal(&hdr, u32::from(shape >> 2 & 3) - 1, first, &mut sealed)
                    {
                        hdr.cksum = if wild & wild::CKSUM != 0 {
                            hdr.cksum
                        } else {
                            cksum
                        };
                        let data = Packet::Data(Data::new(&sealed[..n]));
                        return self.deliver(
                            from,
                            wire::encode(&hdr, &data, &mut out).ok().map(|n| &out[..n]),
                        );
                    }
                }
                wire::encode_jumbo(&hdr, first, &parts, &mut out).ok()
            }
            body::ACK => {
                let (first, prev, aserial, reason) = (r.u32(), r.u32(), r.u32(), r.u8());
                let acks = r.bytes();
                let trailer = (r.u8() & 1 != 0).then(|| AckTrailer {
                    rwind: u32::from(r.u8()),
                    jumbo_max: u32::from(r.u8()),
                    max_mtu: u32::from(r.u16()),
                    if_mtu: 1444,
                });
                let ack = Ack {
                    buffer_space: 0,
                    max_skew: 0,
                    first_packet: base_seq.wrapping_add(first),
                    previous_packet: base_seq.wrapping_add(prev),
                    serial: base_serial.wrapping_add(aserial),
                    reason: AckReason(reason),
                    acks: &acks[..acks.len().min(MAX_ACKS)],
                    trailer,
                };
                wire::encode(&hdr, &Packet::Ack(ack), &mut out).ok()
            }
            body::BUSY => wire::encode(&hdr, &Packet::Busy, &mut out).ok(),
            body::ABORT => wire::encode(&hdr, &Packet::Abort(r.u32()), &mut out).ok(),
            body::ACKALL => wire::encode(&hdr, &Packet::AckAll, &mut out).ok(),
            body::CHALLENGE => {
                let (nonce, min_level, version) = (r.u32(), r.u8(), r.u8());
                let mut b = [0u8; 16];
                let ch = wire::rxkad::Challenge {
                    nonce,
                    min_level: u32::from(min_level),
                };
                ch.encode(&mut b).expect("fits");
                if version != 0 {
                    b[3] = version;
                }
                wire::encode(&hdr, &Packet::Challenge(&b), &mut out).ok()
            }
            body::RESPONSE => {
                let level = u32::from(r.u8() % 3);
                let mut b = vec![0u8; 2048];
                let len = match tpl_body {
                    Some((TYPE_CHALLENGE, challenge)) => {
                        self.respond(&hdr, level, challenge, &mut b)
                    }
                    _ => 0,
                };
                hdr.security_index = if wild & wild::SECURITY != 0 {
                    hdr.security_index
                } else {
                    2
                };
                wire::encode(&hdr, &Packet::Response(&b[..len]), &mut out).ok()
            }
            body::RAW => {
                let ptype = r.u8();
                let b = r.bytes();
                hdr.encode(ptype, &mut out).ok().map(|n| {
                    out[n..n + b.len()].copy_from_slice(b);
                    n + b.len()
                })
            }
            body::VERSION => {
                let b = r.bytes();
                let v = match b.first() {
                    Some(0) | None => Version::Request,
                    _ => Version::Reply(b),
                };
                wire::encode(&hdr, &Packet::Version(v), &mut out).ok()
            }
            _ => unreachable!(),
        };
        self.deliver(from, n.map(|n| &out[..n]));
    }

    fn deliver(&mut self, from: TransportAddr, packet: Option<&[u8]>) {
        // Handed over whole, as the kernel does a linear skb, or every
        // other one cut in three pieces where a hash of the serial says,
        // as a paged skb (raw datagrams are lent, as a copied one is).
        let Some(p) = packet else {
            return;
        };
        if self.serial % 2 == 0 {
            self.ep.handle_received(self.now, from, &Whole(p.into()));
        } else {
            let h = u64::from(self.serial).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let len = p.len() as u64 + 1;
            let mut cuts = [(h % len) as usize, ((h >> 32) % len) as usize];
            cuts.sort_unstable();
            self.ep
                .handle_received(self.now, from, &Pieced::cut(p, &cuts));
        }
    }

    /// `plain` secured at rxkad `level` for `hdr`'s connection and packet,
    /// as the peer would: a client connection with the token secures for
    /// both directions, since the checksum and cipher depend only on the
    /// session key and the packet's identity.
    fn seal(
        &mut self,
        hdr: &Header,
        level: u32,
        plain: &[u8],
        out: &mut [u8],
    ) -> Option<(usize, u16)> {
        let id = ConnIdent {
            epoch: hdr.epoch,
            cid: hdr.cid & !3,
            service_id: hdr.service_id,
            index: 2,
            level,
            key: CLIENT_KEY,
        };
        let conn = self.peer_sec.new_conn(true, &id).ok()?;
        let pkt = PacketIdent {
            cid: hdr.cid,
            call_number: hdr.call_number,
            seq: hdr.seq,
        };
        self.peer_sec
            .secure(&conn, &pkt, plain, out)
            .ok()?
            .complete(plain, out)
    }

    /// Remembers a client DATA's call number, for RESPONSEs.
    fn note_call(&mut self, hdr: &Header) {
        if hdr.flags.contains(Flags::CLIENT_INITIATED) {
            let calls = self
                .peer_calls
                .entry((hdr.epoch, hdr.cid & !3))
                .or_default();
            calls[(hdr.cid & 3) as usize] = hdr.call_number;
        }
    }

    /// A real rxkad client's RESPONSE to `challenge` on `hdr`'s connection.
    fn respond(&mut self, hdr: &Header, level: u32, challenge: &[u8], out: &mut [u8]) -> usize {
        let id = ConnIdent {
            epoch: hdr.epoch,
            cid: hdr.cid & !3,
            service_id: hdr.service_id,
            index: 2,
            level,
            key: CLIENT_KEY,
        };
        let calls = self
            .peer_calls
            .get(&(hdr.epoch, hdr.cid & !3))
            .copied()
            .unwrap_or_default();
        let Ok(mut conn) = self.peer_sec.new_conn(true, &id) else {
            return 0;
        };
        self.peer_sec
            .respond(&mut conn, challenge, calls, out)
            .unwrap_or(0)
    }

    /// Time moves to `to`; the wall clock of rxkad with it.
    fn advance(&mut self, to: Instant) {
        self.now = self.now.max(to);
        let secs = (self.now.0 / 1_000_000_000) as i64;
        self.ep.security_mut().host.now = WALL + secs;
        self.peer_sec.host.now = WALL + secs;
        self.run_due();
    }

    /// Runs the timers that are due, as the module's timer does; a deadline
    /// still due after many runs is a timer that never settles.
    fn run_due(&mut self) {
        for _ in 0..64 {
            match self.ep.poll_timeout() {
                Some(t) if t <= self.now => {
                    self.ep.handle_timeout(self.now);
                    self.drain();
                }
                _ => return,
            }
        }
        panic!("a deadline stays due at {:?}", self.now);
    }

    /// Walks every call, connection, bundle and peer as the module's
    /// /proc files do: each listed object has its info, and the calls
    /// listed are the calls counted.
    fn observe(&mut self) {
        let stats = self.ep.stats();
        let mut calls = 0;
        let mut cur = None;
        while let Some(c) = self.ep.next_call(cur) {
            assert!(self.ep.call_info(c).is_some(), "{c:?} listed without info");
            cur = Some(c);
            calls += 1;
        }
        assert_eq!(calls, stats.calls, "calls listed and counted differ");
        let mut cur = None;
        while let Some(c) = self.ep.next_conn(cur) {
            assert!(
                self.ep.conn_info(c).is_some(),
                "connection listed without info"
            );
            cur = Some(c);
        }
        let mut cur = None;
        while let Some(b) = self.ep.next_bundle(cur) {
            assert!(
                self.ep.bundle_info(b).is_some(),
                "bundle listed without info"
            );
            cur = Some(b);
        }
        let mut cur = None;
        while let Some(p) = self.ep.next_peer(cur) {
            assert!(self.ep.peer_info(p).is_some(), "peer listed without info");
            cur = Some(p);
        }
    }

    /// Drains packets and events, checking each.
    fn drain(&mut self) {
        let mut buf = [0u8; MAX_PACKET];
        for _ in 0..LOOP_LIMIT {
            let Some((to, len)) = self.ep.poll_transmit(self.now, &mut buf) else {
                break;
            };
            assert!(len <= MAX_PACKET, "packet longer than MAX_PACKET");
            assert!(PEERS.contains(&to), "sent to {to:?}, not a peer");
            let (hdr, pkt) = wire::decode(&buf[..len]).expect("sent packets decode");
            if matches!(pkt, Packet::Data(_)) && hdr.flags.contains(Flags::CLIENT_INITIATED) {
                assert_eq!(hdr.epoch, EPOCH, "our call's DATA with another epoch");
            }
            if self.templates.len() == TEMPLATES {
                self.templates.pop_front();
            }
            self.templates.push_back((to, buf[..len].to_vec()));
        }
        for _ in 0..LOOP_LIMIT {
            let Some(ev) = self.ep.poll_event() else {
                return;
            };
            let (call, user) = match ev {
                Event::NewCall { .. } => continue,
                Event::DataReady { call, user } | Event::TxSpace { call, user } => (call, user),
                Event::Complete { call, user, .. } => {
                    assert!(self.completed.insert(call), "{call:?} completed twice");
                    (call, user)
                }
            };
            assert_eq!(self.ep.call_user(call), Some(user), "event for {call:?}");
            if !self.calls.contains(&call) {
                // A charged user id took an incoming call.
                self.calls.push(call);
            }
        }
        panic!("events never run out");
    }

    /// The last packets the endpoint sent (seeds for the decoder) and the
    /// number of calls that completed: what a seed script reached.
    pub fn reached(&self) -> (Vec<Vec<u8>>, usize) {
        let sent = self.templates.iter().map(|(_, b)| b.clone()).collect();
        (sent, self.completed.len())
    }

    /// The application lets go of everything and time runs out every
    /// timer: the endpoint must then hold nothing.
    pub fn finish(&mut self) {
        self.env.budget.set(None);
        loop {
            let user = self.user();
            match self.ep.accept_next(self.now, user) {
                Ok(c) => self.calls.push(c),
                Err(_) => break,
            }
        }
        for _ in 0..LOOP_LIMIT {
            for c in std::mem::take(&mut self.calls) {
                self.ep.release(self.now, c);
            }
            self.drain();
            if !self.calls.is_empty() {
                continue;
            }
            match self.ep.poll_timeout() {
                Some(t) => self.advance(t),
                None => break,
            }
        }
        assert_eq!(self.ep.stats(), Stats::default(), "held after the end");
    }
}
