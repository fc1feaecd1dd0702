//! End-to-end behaviour of two engines over a simulated link.

use rxrpc_proto::Outcome;
use rxrpc_sim::scenario::Scenario;
use rxrpc_sim::LinkConfig;

fn check(s: &Scenario) -> rxrpc_sim::scenario::Report {
    let r = s.run();
    assert!(r.failures.is_empty(), "seed {}: {:#?}", s.seed, r.failures);
    r
}

#[test]
fn one_small_call_perfect_link() {
    let r = check(&Scenario::simple(1, LinkConfig::default(), 100, 1));
    assert_eq!(r.succeeded, 1);
    let _ = Outcome::Succeeded;
}

#[test]
fn acceptance_sizes_and_losses() {
    for &len in &[1u64, 65536] {
        for &loss in &[0.0, 0.05, 0.2] {
            let link = LinkConfig {
                loss,
                reorder: 0.1,
                jitter: 2_000_000,
                ..LinkConfig::default()
            };
            let r = check(&Scenario::simple(7 + len, link, len, 3));
            assert_eq!(r.succeeded, 3);
            eprintln!(
                "len {len} loss {loss}: {:?} {} datagrams",
                r.sim_time, r.datagrams
            );
        }
    }
}

#[test]
fn random_scenarios() {
    let n: u64 = std::env::var("SIM_SCENARIOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let first: u64 = std::env::var("SIM_FIRST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for seed in first..first + n {
        let s = Scenario::random(seed);
        let r = s.run();
        assert!(
            r.failures.is_empty(),
            "seed {seed}: {:#?}\n{s:?}",
            r.failures
        );
    }
}

#[test]
fn hostile_scenarios() {
    let n: u64 = std::env::var("SIM_SCENARIOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let first: u64 = std::env::var("SIM_FIRST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for seed in first..first + n {
        let s = Scenario::hostile(seed);
        let r = s.run();
        assert!(
            r.failures.is_empty(),
            "seed {seed}: {:#?}\n{s:?}",
            r.failures
        );
    }
}
