//! Bulk calls under 2% random loss on a loopback-like link (50 us one
//! way) must not stall: each direction of a 16 MiB call takes about
//! 0.14 s simulated, and the RTO (200 ms at least) should be rare. Before
//! RTT samples were taken from OUT_OF_SEQUENCE ACKs, 4 of these 50 seeds
//! left the client with no sample and its RTO at 1 s: requests of 44-74 s.

use std::time::Duration;

use rxrpc_sim::scenario::echo_times;
use rxrpc_sim::LinkConfig;

#[test]
fn two_percent_loss_does_not_stall() {
    let link = LinkConfig {
        loss: 0.02,
        delay: 50_000,
        ..LinkConfig::default()
    };
    let mut total = Duration::ZERO;
    for seed in 1..=50 {
        let t = echo_times(seed, link, 16 << 20).expect("call completes byte-exact");
        for (dir, d) in [("request", t.request), ("reply", t.reply)] {
            assert!(d < Duration::from_millis(600), "seed {seed} {dir}: {d:?}");
        }
        total += t.request + t.reply;
    }
    // 13.7 s; RTOs in one call in ten, as without the tail loss probe or
    // RACK's tie-break for packets sent in the same instant, add 2 s.
    assert!(total < Duration::from_secs(15), "total {total:?}");
}
