//! Engine CPU cost: small calls and bulk data through two engines joined by
//! a perfect link (no loss, zero delay), with no simulator in between; and
//! small calls beside 1000 open ones, which hold timers.
//! Run with `cargo bench -p rxrpc-proto --bench engine`.

use std::hint::black_box;
use std::time::{Duration, Instant as Wall};

use rxrpc_proto::{
    CallParams, Config, Endpoint, Event, Instant, NullSecurity, Outcome, ServiceConfig,
    TransportAddr, MAX_PACKET,
};
use rxrpc_sim::{StdEnv, Whole};

type Ep = Endpoint<StdEnv, NullSecurity>;

const A: TransportAddr = TransportAddr::V4([10, 0, 0, 1], 7001);
const B: TransportAddr = TransportAddr::V4([10, 0, 0, 2], 7002);
/// A peer that never answers: calls to it stay open.
const SILENT: TransportAddr = TransportAddr::V4([10, 0, 0, 3], 7003);

struct Pair {
    client: Ep,
    /// The client's address (changes when the client endpoint is replaced).
    client_addr: TransportAddr,
    /// Each call on a connection of its own.
    exclusive: bool,
    /// The server's next charge tag for a held call.
    next_hold: u64,
    /// Nanoseconds each round of a call moves the clock on.
    step: u64,
    server: Ep,
    now: Instant,
    buf: Vec<u8>,
    data: Vec<u8>,
    read: Vec<u8>,
}

impl Pair {
    fn new() -> Self {
        let client = Endpoint::new(
            StdEnv::default(),
            NullSecurity,
            Config {
                epoch: 1,
                ..Config::default()
            },
        );
        let mut server = Endpoint::new(
            StdEnv::default(),
            NullSecurity,
            Config {
                epoch: 2,
                ..Config::default()
            },
        );
        server
            .listen(ServiceConfig {
                service_ids: [1, 0],
                backlog: 32,
                ..ServiceConfig::default()
            })
            .unwrap();
        Pair {
            client,
            client_addr: A,
            exclusive: false,
            next_hold: 1_000_000,
            step: 1000,
            server,
            now: Instant(1),
            buf: vec![0; MAX_PACKET],
            data: vec![7; 1 << 20],
            read: vec![0; 1 << 16],
        }
    }

    /// Opens `n` client calls to a silent peer, each with some request data
    /// sent, so that they hold timers while other calls run.
    fn open_idle_calls(&mut self, n: u64) {
        for user in 0..n {
            let params = CallParams {
                remote: SILENT,
                service_id: 1,
                user: 1000 + user,
                upgrade: false,
                exclusive: true,
                security: Default::default(),
                timeouts: Default::default(),
            };
            let c = self.client.begin_call(self.now, params).unwrap();
            self.client.send(c, &self.data[..10], true).unwrap();
            while self.client.poll_transmit(self.now, &mut self.buf).is_some() {}
        }
        while self.client.poll_event().is_some() {}
    }

    /// Replaces the client endpoint with a new one at another port, as a
    /// program that closes its socket and makes another does.
    fn new_client(&mut self, port: u16) {
        self.client = Endpoint::new(
            StdEnv::default(),
            NullSecurity,
            Config {
                epoch: 1 + u32::from(port),
                ..Config::default()
            },
        );
        self.client_addr = TransportAddr::V4([10, 0, 0, 1], port);
    }

    /// Has the server hold `n` calls open: requests from a third endpoint,
    /// each on a connection of its own, that the server accepts and reads
    /// and never answers (as `make bench`'s open rows do).
    fn hold_server_calls(&mut self, n: u64) {
        const H: TransportAddr = TransportAddr::V4([10, 0, 0, 4], 7004);
        let mut holder = Endpoint::new(
            StdEnv::default(),
            NullSecurity,
            Config {
                epoch: 3,
                ..Config::default()
            },
        );
        let mut held = 0;
        let mut user = 0;
        while held < n {
            let batch = (n - held).min(8);
            for _ in 0..batch {
                self.next_hold += 1;
                self.server.charge(self.now, self.next_hold).unwrap();
                let params = CallParams {
                    remote: B,
                    service_id: 1,
                    user,
                    upgrade: false,
                    exclusive: true,
                    security: Default::default(),
                    timeouts: Default::default(),
                };
                user += 1;
                let c = holder.begin_call(self.now, params).unwrap();
                holder.send(c, &self.data[..12], false).unwrap();
            }
            let mut moved = true;
            while moved {
                moved = false;
                self.now = Instant(self.now.0 + 1000);
                while let Some((_, len)) = holder.poll_transmit(self.now, &mut self.buf) {
                    self.server.handle_datagram(self.now, H, &self.buf[..len]);
                    moved = true;
                }
                while let Some((_, len)) = self.server.poll_transmit(self.now, &mut self.buf) {
                    holder.handle_datagram(self.now, B, &self.buf[..len]);
                    moved = true;
                }
                while let Some(ev) = self.server.poll_event() {
                    if let Event::DataReady { call, .. } = ev {
                        while let Ok(r) = self.server.recv(self.now, call, &mut self.read, false) {
                            if r.bytes == 0 {
                                break;
                            }
                        }
                    }
                    moved = true;
                }
                while holder.poll_event().is_some() {}
            }
            held += batch;
        }
        assert!(self.server.stats().calls as u64 >= n);
    }

    /// One call with `len` bytes each way; returns when both ends are done.
    fn call(&mut self, len: usize) {
        let params = CallParams {
            remote: B,
            service_id: 1,
            user: 1,
            upgrade: false,
            exclusive: self.exclusive,
            security: Default::default(),
            timeouts: Default::default(),
        };
        self.server.charge(self.now, 2).unwrap();
        let c = self.client.begin_call(self.now, params).unwrap();
        let mut c_sent = 0;
        let mut s_call = None;
        let mut s_got = 0;
        let mut s_sent = 0;
        let (mut c_done, mut s_done) = (false, false);
        while !(c_done && s_done) {
            self.now = Instant(self.now.0 + self.step);
            if c_sent < len || (len == 0 && c_sent == 0) {
                let n = (len - c_sent).min(self.data.len());
                let m = self
                    .client
                    .send(c, &self.data[..n], c_sent + n < len)
                    .unwrap();
                c_sent += m.max(usize::from(len == 0));
            }
            if let Some(s) = s_call {
                if s_got == len && s_sent <= len {
                    let n = (len - s_sent).min(self.data.len());
                    if let Ok(m) = self.server.send(s, &self.data[..n], s_sent + n < len) {
                        s_sent += m;
                        if s_sent == len {
                            s_sent = len + 1;
                        }
                    }
                }
            }
            let mut moved = true;
            while moved {
                moved = false;
                while let Some((_, n)) = self.client.poll_transmit(self.now, &mut self.buf) {
                    let d = Whole(self.buf[..n].into());
                    self.server.handle_received(self.now, self.client_addr, &d);
                    moved = true;
                }
                while let Some((to, n)) = self.server.poll_transmit(self.now, &mut self.buf) {
                    // Packets to clients gone (keepalives) are lost.
                    if to == self.client_addr {
                        let d = Whole(self.buf[..n].into());
                        self.client.handle_received(self.now, B, &d);
                    }
                    moved = true;
                }
                while let Some(ev) = self.server.poll_event() {
                    match ev {
                        Event::DataReady { call, .. } => {
                            s_call = Some(call);
                            while let Ok(r) =
                                self.server.recv(self.now, call, &mut self.read, false)
                            {
                                s_got += r.bytes;
                                if r.bytes == 0 {
                                    break;
                                }
                            }
                        }
                        Event::Complete { call, outcome, .. } => {
                            assert_eq!(outcome, Outcome::Succeeded);
                            self.server.release(self.now, call);
                            s_done = true;
                        }
                        _ => {}
                    }
                    moved = true;
                }
                while let Some(ev) = self.client.poll_event() {
                    match ev {
                        Event::DataReady { call, .. } => {
                            while let Ok(r) =
                                self.client.recv(self.now, call, &mut self.read, false)
                            {
                                black_box(&self.read);
                                if r.bytes == 0 {
                                    break;
                                }
                            }
                        }
                        Event::Complete { call, outcome, .. } => {
                            assert_eq!(outcome, Outcome::Succeeded);
                            self.client.release(self.now, call);
                            c_done = true;
                        }
                        _ => {}
                    }
                    moved = true;
                }
            }
            if let Some(t) = self.client.poll_timeout() {
                if t <= self.now {
                    self.client.handle_timeout(self.now);
                }
            }
            if let Some(t) = self.server.poll_timeout() {
                if t <= self.now {
                    self.server.handle_timeout(self.now);
                }
            }
        }
    }
}

fn measure(name: &str, iters: u32, mut f: impl FnMut()) -> Duration {
    f();
    let t = Wall::now();
    for _ in 0..iters {
        f();
    }
    let per = t.elapsed() / iters;
    println!("{name}: {per:?} per iteration ({iters} iterations)");
    per
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    if want("small") {
        let mut p = Pair::new();
        measure("small call (100 B request, 100 B reply)", 20_000, || {
            p.call(100)
        });
    }
    if want("client_open") {
        let mut p = Pair::new();
        p.open_idle_calls(1000);
        measure(
            "small call beside 1000 open calls (client_open)",
            20_000,
            || p.call(100),
        );
    }
    for n in [1, 10, 100, 1000] {
        let name = format!("small call beside {n} calls the server holds (open{n})");
        if want(&name) {
            let mut p = Pair::new();
            p.hold_server_calls(n);
            measure(&name, 5_000, || p.call(100));
        }
    }
    // 10,000 calls in a row, each on a connection of its own (make bench's
    // conns). In the guest every unbound client socket shares one endpoint
    // while any is open (the bench keeps one), so its client connections
    // pile up there (idle ones are kept 2 minutes): "conns". With the
    // client endpoint replaced every 100 calls instead: "conns_fresh".
    for (name, fresh) in [("conns", false), ("conns_fresh", true)] {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        let mut p = Pair::new();
        p.exclusive = true;
        // About the guest's pace (a few ms a call), so that deadlines
        // (keepalives, idle connections) come due as they do there.
        p.step = 1_000_000;
        let t = Wall::now();
        let mut last = Wall::now();
        for i in 0..10_000u32 {
            if fresh && i % 100 == 0 {
                p.new_client(8000 + (i / 100) as u16);
            }
            p.call(100);
            if (i + 1) % 2_000 == 0 {
                println!(
                    "{name}: {} made, the last 2,000 at {:?} each",
                    i + 1,
                    last.elapsed() / 2_000
                );
                last = Wall::now();
            }
        }
        println!(
            "{name}: {:?} per connection (10,000 in a row)",
            t.elapsed() / 10_000
        );
    }
    if want("bulk") {
        let mut p = Pair::new();
        let per = measure("bulk call (8 MiB request, 8 MiB reply)", 5, || {
            p.call(8 << 20)
        });
        let mb = 16.0 * 1.048_576;
        println!(
            "bulk: {:.2} ms CPU per MB through both engines",
            per.as_secs_f64() * 1000.0 / mb
        );
    }
}
