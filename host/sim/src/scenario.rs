//! Seeded scenarios and the properties every run must satisfy.

use std::time::Duration;

use rxrpc_proto::{NullSecurity, Outcome, ServiceConfig, Stats};

use crate::link::LinkConfig;
use crate::rng::Rng;
use crate::sim::{AcceptMode, CallOpts, Sim};

/// The service id the scenarios use.
pub const SERVICE: u16 = 1234;

/// One client call of a scenario.
#[derive(Clone, Copy, Debug)]
pub struct PlannedCall {
    /// Calling node.
    pub from: usize,
    /// Called node.
    pub to: usize,
    /// Request (and reply) length.
    pub len: u64,
    /// Call options.
    pub opts: CallOpts,
}

/// A reproducible scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Seed of the link and endpoints.
    pub seed: u64,
    /// The link.
    pub link: LinkConfig,
    /// Nodes in the scenario.
    pub nodes: usize,
    /// How servers take calls.
    pub accept: AcceptMode,
    /// Calls, all started at time zero.
    pub calls: Vec<PlannedCall>,
    /// Bound on simulated time for all calls to end.
    pub limit: Duration,
}

/// What a run found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Property violations; empty means the run passed.
    pub failures: Vec<String>,
    /// Simulated time until the last call ended.
    pub sim_time: Duration,
    /// Client calls that succeeded.
    pub succeeded: usize,
    /// Client calls that ended otherwise.
    pub failed: usize,
    /// Datagrams sent.
    pub datagrams: u64,
    /// DATA packets sent again, by all nodes.
    pub retransmits: u64,
}

impl Scenario {
    /// Two nodes, `n` calls of `len` bytes from node 0 to node 1.
    pub fn simple(seed: u64, link: LinkConfig, len: u64, n: usize) -> Self {
        let call = PlannedCall {
            from: 0,
            to: 1,
            len,
            opts: CallOpts::default(),
        };
        Scenario {
            seed,
            link,
            nodes: 2,
            accept: AcceptMode::Charge,
            calls: vec![call; n],
            limit: Duration::from_secs(600),
        }
    }

    /// A random small scenario: 2-3 nodes, 1-20 calls of 0..20000 bytes,
    /// up to 20% loss with duplication, reordering and jitter; a quarter
    /// on a path that carries jumbo packets, and a quarter on one whose
    /// route promises them but that drops them (a black hole).
    pub fn random(seed: u64) -> Self {
        // Drawn apart, so that the other draws stay as they were.
        let (mtu, route_mtu) = match Rng::new(seed ^ 0x6a75_6d62_6f00).below(4) {
            0 => (65535, Some(65535)),
            1 => (1500, Some(9000)),
            _ => (1500, None),
        };
        let mut r = Rng::new(seed);
        let nodes = 2 + r.below(2) as usize;
        let link = LinkConfig {
            loss: [0.0, 0.01, 0.05, 0.2][r.below(4) as usize],
            duplicate: [0.0, 0.02][r.below(2) as usize],
            reorder: [0.0, 0.05, 0.2][r.below(3) as usize],
            corrupt: 0.0,
            delay: 1_000_000 + r.below(50_000_000),
            jitter: r.below(5_000_000),
            mtu,
            route_mtu,
        };
        let accept = if r.chance(0.5) {
            AcceptMode::Charge
        } else {
            AcceptMode::OnEvent
        };
        let n = 1 + r.below(20) as usize;
        let calls = (0..n)
            .map(|_| {
                let from = r.below(nodes as u64) as usize;
                let to = (from + 1 + r.below(nodes as u64 - 1) as usize) % nodes;
                let len = match r.below(4) {
                    0 => r.below(2),
                    1 => r.below(1500),
                    2 => r.below(6000),
                    _ => r.below(20000),
                };
                let opts = CallOpts {
                    exclusive: r.chance(0.1),
                    ..CallOpts::default()
                };
                PlannedCall {
                    from,
                    to,
                    len,
                    opts,
                }
            })
            .collect();
        Scenario {
            seed,
            link,
            nodes,
            accept,
            calls,
            limit: Duration::from_secs(600),
        }
    }

    /// A random scenario on a hostile link: also corruption, and sometimes
    /// an MTU too small for full DATA packets. Only termination, freedom
    /// from panics and from leaks are checked then. Corruption can leave
    /// both ends waiting on each other (a lost LAST_PACKET flag on an
    /// acknowledged packet), so calls get a 300 s hard timeout.
    pub fn hostile(seed: u64) -> Self {
        let mut s = Scenario::random(seed);
        for c in &mut s.calls {
            c.opts.timeouts.hard = Some(Duration::from_secs(300));
        }
        let mut r = Rng::new(seed ^ 0xdead_beef);
        s.link.corrupt = [0.01, 0.05, 0.2][r.below(3) as usize];
        if r.chance(0.2) {
            s.link.mtu = 200 + r.below(1300) as usize;
        }
        s
    }

    /// Run the scenario and check its properties: every call ends within
    /// the limit, data is byte-exact (or the call was aborted cleanly on
    /// both sides), and every object is freed once idle.
    pub fn run(&self) -> Report {
        let svc = ServiceConfig {
            service_ids: [SERVICE, 0],
            backlog: 16,
            ..ServiceConfig::default()
        };
        let mut sim = Sim::new(self.seed, self.link);
        for _ in 0..self.nodes {
            sim.add_node(NullSecurity, svc, self.accept);
        }
        let mut rep = Report::default();
        for c in &self.calls {
            if sim.call(c.from, c.to, SERVICE, c.len, c.opts).is_none() {
                rep.failures.push(format!("begin_call failed: {c:?}"));
            }
        }
        let start = sim.now;
        let limit = start.after(self.limit);
        if !sim.run_calls(limit) {
            rep.failures
                .push(format!("calls still running after {:?}", self.limit));
        }
        rep.sim_time = sim.now.since(start);
        let exact = self.link.corrupt == 0.0;
        for (i, n) in sim.nodes.iter().enumerate() {
            for c in &n.clients {
                match c.outcome {
                    Some(Outcome::Succeeded) => {
                        rep.succeeded += 1;
                        if exact && (c.mismatch || !c.end_seen || c.received != c.req_len) {
                            rep.failures
                                .push(format!("node {i} call {:?}: reply wrong: {c:?}", c.handle));
                        }
                    }
                    Some(_) => {
                        rep.failed += 1;
                        if exact
                            && c.abort_at.is_none()
                            && self.link.loss < 0.5
                            && self.link.mtu >= 1472
                        {
                            rep.failures.push(format!(
                                "node {i} call {:?}: ended {:?}",
                                c.handle, c.outcome
                            ));
                        }
                    }
                    None => {}
                }
            }
        }
        // Idle expiry: after 15 minutes nothing may be left.
        let later = sim.now.after(Duration::from_secs(15 * 60));
        sim.run_until(later, |_| false);
        for (i, n) in sim.nodes.iter().enumerate() {
            let st = n.ep.stats();
            if st != Stats::default() {
                rep.failures.push(format!("node {i} leaks {st:?}"));
            }
        }
        rep.datagrams = sim.stats.sent;
        rep.retransmits = sim
            .nodes
            .iter()
            .map(|n| n.ep.counters().tx_data_retrans)
            .sum();
        rep
    }
}

/// Simulated times of one echo call's two directions.
#[derive(Clone, Copy, Debug)]
pub struct EchoTimes {
    /// From the start until the server has the whole request.
    pub request: Duration,
    /// From then until both ends saw the call complete.
    pub reply: Duration,
    /// DATA packets sent again, by both nodes.
    pub retransmits: u64,
}

/// One call of `len` bytes each way between two nodes on `link`, timed
/// per direction; `None` if it did not complete byte-exact within 600 s.
pub fn echo_times(seed: u64, link: LinkConfig, len: u64) -> Option<EchoTimes> {
    let svc = ServiceConfig {
        service_ids: [SERVICE, 0],
        backlog: 16,
        ..ServiceConfig::default()
    };
    let mut sim = Sim::new(seed, link);
    sim.add_node(NullSecurity, svc, AcceptMode::Charge);
    sim.add_node(NullSecurity, svc, AcceptMode::Charge);
    sim.call(0, 1, SERVICE, len, CallOpts::default())?;
    let start = sim.now;
    let limit = start.after(Duration::from_secs(600));
    let requested = |s: &Sim<NullSecurity>| s.nodes[1].servers.values().any(|c| c.request_done);
    if !sim.run_until(limit, requested) {
        return None;
    }
    let request = sim.now.since(start);
    if !sim.run_calls(limit) {
        return None;
    }
    let c = sim.nodes[0].clients.first()?;
    if c.outcome != Some(Outcome::Succeeded) || c.mismatch || c.received != len {
        return None;
    }
    Some(EchoTimes {
        request,
        reply: sim.now.since(start).saturating_sub(request),
        retransmits: sim
            .nodes
            .iter()
            .map(|n| n.ep.counters().tx_data_retrans)
            .sum(),
    })
}
