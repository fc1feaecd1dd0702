//! Connection setup, call completion and reaping cost a bounded number of
//! map steps each, however many connections and calls the endpoint holds:
//! no operation walks a whole map. The steps (`Map::next_after` calls) are
//! counted, not timed. `poll_timeout` is not called: its debug assertions
//! walk everything on purpose; `handle_timeout` runs on a fixed tick.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use rxrpc_proto::{
    CallHandle, CallParams, Config, Endpoint, Env, Event, Instant, Map, NullSecurity,
    ServiceConfig, Timeouts, TransportAddr, Tunables, MAX_PACKET,
};
use rxrpc_sim::env::{StdMap, StdSlots};
use rxrpc_sim::StdEnv;

const SVC: u16 = 52;
const CLIENT: TransportAddr = TransportAddr::V4([10, 0, 0, 1], 7000);
const SERVER: TransportAddr = TransportAddr::V4([10, 0, 0, 2], 7000);
/// Time between two rounds of `handle_timeout`.
const TICK: Duration = Duration::from_millis(10);

/// Host memory whose maps count the steps of their walks.
#[derive(Clone, Default)]
struct CountEnv {
    inner: StdEnv,
    steps: Rc<Cell<u64>>,
}

struct CountMap<K, V> {
    inner: StdMap<K, V>,
    steps: Rc<Cell<u64>>,
}

impl<K: Ord + Copy, V> Map<K, V> for CountMap<K, V> {
    fn insert(&mut self, key: K, value: V) -> Result<(), V> {
        self.inner.insert(key, value)
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.inner.get(key)
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.inner.get_mut(key)
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        self.inner.remove(key)
    }

    fn next_after(&mut self, key: Option<&K>) -> Option<K> {
        self.steps.set(self.steps.get() + 1);
        self.inner.next_after(key)
    }

    fn len(&self) -> usize {
        self.inner.len()
    }
}

impl Env for CountEnv {
    type Buf = Vec<u8>;
    type RxBuf = Vec<u8>;
    type Map<K: Ord + Copy, V> = CountMap<K, V>;
    type Slots<T> = StdSlots<T>;
    type Boxed<T> = Box<T>;

    fn new_map<K: Ord + Copy, V>(&mut self) -> CountMap<K, V> {
        CountMap {
            inner: self.inner.new_map(),
            steps: self.steps.clone(),
        }
    }

    fn new_slots<T>(&mut self) -> StdSlots<T> {
        self.inner.new_slots()
    }

    fn boxed<T>(&mut self, value: T) -> Result<Box<T>, T> {
        self.inner.boxed(value)
    }

    fn alloc_buf(&mut self, len: usize) -> Option<Vec<u8>> {
        Some(vec![0; len])
    }
}

type Ep = Endpoint<CountEnv, NullSecurity>;

/// A client and a charging server, with their step counter.
struct Pair {
    client: Ep,
    server: Ep,
    steps: Rc<Cell<u64>>,
    now: Instant,
    /// The server's next user id for a call.
    next_user: u64,
    /// The server accepts each call after its `NewCall` and keeps it when
    /// it ends, instead of charging ahead and releasing.
    accept_and_keep: bool,
    buf: Vec<u8>,
    /// Client calls completed.
    done: usize,
}

impl Pair {
    fn new(tunables: Tunables, accept_and_keep: bool) -> Self {
        let env = CountEnv::default();
        let config = |epoch| Config {
            epoch,
            tunables,
            ..Config::default()
        };
        let client = Endpoint::new(env.clone(), NullSecurity, config(1));
        let mut server = Endpoint::new(env.clone(), NullSecurity, config(2));
        server
            .listen(ServiceConfig {
                service_ids: [SVC, 0],
                backlog: 32,
                ..ServiceConfig::default()
            })
            .unwrap();
        let mut p = Pair {
            client,
            server,
            steps: env.steps,
            now: Instant(1_000_000_000),
            next_user: 1 << 32,
            accept_and_keep,
            buf: vec![0; MAX_PACKET],
            done: 0,
        };
        p.charge();
        p
    }

    fn charge(&mut self) {
        while !self.accept_and_keep && self.server.charge_room() {
            self.server.charge(self.now, self.next_user).unwrap();
            self.next_user += 1;
        }
    }

    fn begin(&mut self, user: u64, exclusive: bool) {
        let params = CallParams {
            remote: SERVER,
            service_id: SVC,
            user,
            upgrade: false,
            exclusive,
            security: Default::default(),
            timeouts: Timeouts::default(),
        };
        let h = self.client.begin_call(self.now, params).unwrap();
        assert_eq!(self.client.send(h, b"request", false), Ok(7));
    }

    /// Read call `h` of `ep` to its end.
    fn read(ep: &mut Ep, now: Instant, h: CallHandle, buf: &mut [u8]) -> bool {
        loop {
            let Ok(r) = ep.recv(now, h, buf, false) else {
                return false;
            };
            if r.end_of_data {
                return true;
            }
            if r.bytes == 0 {
                return false;
            }
        }
    }

    /// Packets both ways and the applications' work, until all is quiet.
    fn exchange(&mut self) {
        loop {
            let mut quiet = true;
            while let Some((_, n)) = self.client.poll_transmit(self.now, &mut self.buf) {
                self.server
                    .handle_datagram(self.now, CLIENT, &self.buf[..n]);
                quiet = false;
            }
            while let Some((_, n)) = self.server.poll_transmit(self.now, &mut self.buf) {
                self.client
                    .handle_datagram(self.now, SERVER, &self.buf[..n]);
                quiet = false;
            }
            while let Some(e) = self.server.poll_event() {
                quiet = false;
                match e {
                    Event::DataReady { call, .. } => {
                        if Self::read(&mut self.server, self.now, call, &mut self.buf) {
                            self.server.send(call, b"reply", false).unwrap();
                        }
                    }
                    Event::NewCall { .. } => {
                        self.server.accept_next(self.now, self.next_user).unwrap();
                        self.next_user += 1;
                    }
                    Event::Complete { call, .. } if !self.accept_and_keep => {
                        self.server.release(self.now, call)
                    }
                    _ => {}
                }
            }
            while let Some(e) = self.client.poll_event() {
                quiet = false;
                match e {
                    Event::DataReady { call, .. } => {
                        Self::read(&mut self.client, self.now, call, &mut self.buf);
                    }
                    Event::Complete { call, outcome, .. } => {
                        assert_eq!(outcome, rxrpc_proto::Outcome::Succeeded);
                        self.client.release(self.now, call);
                        self.done += 1;
                    }
                    _ => {}
                }
            }
            self.charge();
            if quiet {
                return;
            }
        }
    }

    /// One tick later: the timers due, then the packets they make.
    fn tick(&mut self) {
        self.now = self.now.after(TICK);
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
        self.exchange();
    }
}

/// Exclusive connections one after another, far past
/// `reap_client_conns`: idle ones are reaped fast while the count hovers
/// at the limit, each opening crossing it again.
#[test]
fn conns_opened_and_reaped_cost_bounded_steps_each() {
    const LIMIT: u32 = 400;
    const N: usize = 4 * LIMIT as usize;
    let mut p = Pair::new(
        Tunables {
            reap_client_conns: LIMIT,
            ..Tunables::default()
        },
        false,
    );
    let mut below = 0;
    for i in 0..N {
        p.begin(i as u64 + 1, true);
        p.exchange();
        p.tick();
        if i + 1 == LIMIT as usize {
            below = p.steps.get();
        }
    }
    assert_eq!(p.done, N);
    // Idle ones went after the fast expiry, down to the limit.
    assert_eq!(p.client.client_conns(), LIMIT);
    let above = p.steps.get() - below;
    let (below, above) = (
        below / u64::from(LIMIT),
        above / (N as u64 - u64::from(LIMIT)),
    );
    // A walk over the idle connections at each crossing of the limit
    // would cost some LIMIT steps per connection above it.
    assert!(
        above < 2 * below && above < 100,
        "map steps per connection: {below} below the limit, {above} above"
    );
}

/// Many calls at once on one bundle: all but sixteen wait for a channel,
/// and each completion hands its channel on without walking the calls.
#[test]
fn waiting_calls_attach_in_bounded_steps_each() {
    const N: usize = 800;
    let mut p = Pair::new(Tunables::default(), false);
    for i in 0..N {
        p.begin(i as u64 + 1, false);
    }
    while p.done < N {
        p.exchange();
        p.tick();
    }
    assert_eq!(p.client.stats().conns, 4);
    let steps = p.steps.get();
    let per_call = steps / N as u64;
    assert!(per_call < 50, "{steps} map steps for {N} calls");
}

/// Calls accepted one by one (NEW_CALL + ACCEPT) by a server that keeps
/// every call it served: each accept takes the oldest waiting call
/// without walking the older calls held.
#[test]
fn accepts_cost_bounded_steps_each() {
    const N: usize = 800;
    let mut p = Pair::new(Tunables::default(), true);
    for i in 0..N {
        p.begin(i as u64 + 1, true);
        p.exchange();
        p.tick();
    }
    assert_eq!(p.done, N);
    assert_eq!(p.server.stats().calls, N);
    let steps = p.steps.get();
    let per_call = steps / N as u64;
    assert!(per_call < 50, "{steps} map steps for {N} calls");
}
