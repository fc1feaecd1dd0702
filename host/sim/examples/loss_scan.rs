//! Time each direction of a bulk call over many seeds, to find stalls:
//! `cargo run --release --example loss_scan -- LEN LOSS DELAY_NS SEEDS FIRST`
//! (defaults: 16 MiB, 2% loss, 50 us one way as loopback, 20 seeds from 1).

use rxrpc_sim::scenario::echo_times;
use rxrpc_sim::LinkConfig;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize| a.get(i).and_then(|v| v.parse::<f64>().ok());
    let len = arg(1).map_or(16 << 20, |v| v as u64);
    let loss = arg(2).unwrap_or(0.02);
    let delay = arg(3).map_or(50_000, |v| v as u64);
    let seeds = arg(4).map_or(20, |v| v as u64);
    let first = arg(5).map_or(1, |v| v as u64);
    let (mut req, mut rep) = (Vec::new(), Vec::new());
    for seed in first..first + seeds {
        let link = LinkConfig {
            loss,
            delay,
            ..LinkConfig::default()
        };
        let Some(t) = echo_times(seed, link, len) else {
            println!("seed {seed:4} failed");
            continue;
        };
        let (q, p) = (t.request.as_secs_f64(), t.reply.as_secs_f64());
        println!(
            "seed {seed:4} req {q:8.3} reply {p:8.3} retrans {}",
            t.retransmits
        );
        req.push(q);
        rep.push(p);
    }
    for (name, v) in [("req", &mut req), ("reply", &mut rep)] {
        if v.is_empty() {
            continue;
        }
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        println!(
            "{name}: min {:.3} median {:.3} mean {mean:.3} max {:.3}",
            v[0],
            v[v.len() / 2],
            v[v.len() - 1]
        );
    }
}
