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
use rxrpc_sim::StdEnv;

type Ep = Endpoint<StdEnv, NullSecurity>;

const A: TransportAddr = TransportAddr::V4([10, 0, 0, 1], 7001);
const B: TransportAddr = TransportAddr::V4([10, 0, 0, 2], 7002);
/// A peer that never answers: calls to it stay open.
const SILENT: TransportAddr = TransportAddr::V4([10, 0, 0, 3], 7003);

struct Pair {
    client: Ep,
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

    /// One call with `len` bytes each way; returns when both ends are done.
    fn call(&mut self, len: usize) {
        let params = CallParams {
            remote: B,
            service_id: 1,
            user: 1,
            upgrade: false,
            exclusive: false,
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
            self.now = Instant(self.now.0 + 1000);
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
                    self.server.handle_datagram(self.now, A, &self.buf[..n]);
                    moved = true;
                }
                while let Some((_, n)) = self.server.poll_transmit(self.now, &mut self.buf) {
                    self.client.handle_datagram(self.now, B, &self.buf[..n]);
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
    let mut p = Pair::new();
    measure("small call (100 B request, 100 B reply)", 20_000, || {
        p.call(100)
    });
    let mut p = Pair::new();
    p.open_idle_calls(1000);
    measure("small call beside 1000 open calls", 20_000, || p.call(100));
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
