//! The acceptance test's link (`tests/acceptance.rs`) over many seeds, as
//! one seed's figures are noisy:
//! `cargo run --release --example acc_scan -- LEN LOSS SEEDS`.

use rxrpc_sim::scenario::Scenario;
use rxrpc_sim::LinkConfig;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize| a.get(i).and_then(|v| v.parse::<f64>().ok());
    let len = arg(1).map_or(8 << 20, |v| v as u64);
    let loss = arg(2).unwrap_or(0.05);
    let seeds = arg(3).map_or(20, |v| v as u64).max(1);
    let mut times = Vec::new();
    let mut resent = 0;
    for seed in 1000..1000 + seeds {
        let r = Scenario::simple(seed, LinkConfig::acceptance(loss), len, 2).run();
        assert!(r.failures.is_empty(), "seed {seed}: {:?}", r.failures);
        times.push(r.sim_time.as_secs_f64());
        resent += r.retransmits;
    }
    times.sort_by(f64::total_cmp);
    let n = times.len() as f64;
    println!(
        "loss {loss}: simulated mean {:.3} s, median {:.3}, max {:.3}; retransmitted mean {:.1}",
        times.iter().sum::<f64>() / n,
        times[times.len() / 2],
        times[times.len() - 1],
        resent as f64 / n
    );
}
