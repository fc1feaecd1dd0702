//! Run one scenario with a trace: `cargo run --example trace -- LEN LOSS SEED REORDER JITTER_NS`.

use rxrpc_sim::scenario::Scenario;
use rxrpc_sim::LinkConfig;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let len = a.get(1).and_then(|v| v.parse().ok()).unwrap_or(1 << 20);
    let loss = a.get(2).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let seed = a.get(3).and_then(|v| v.parse().ok()).unwrap_or(1);
    let reorder = a.get(4).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let jitter = a.get(5).and_then(|v| v.parse().ok()).unwrap_or(0);
    let link = LinkConfig {
        loss,
        reorder,
        jitter,
        delay: 10_000_000,
        ..LinkConfig::default()
    };
    let r = Scenario::simple(seed, link, len, 1).run();
    println!("{r:?}");
}
