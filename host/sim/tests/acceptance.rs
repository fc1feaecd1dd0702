//! Acceptance: 1 B, 64 KiB and 8 MiB calls at 0%, 5% and 20% loss with
//! reordering, duplication and jitter complete byte-exact, and everything
//! is freed afterwards.

use rxrpc_sim::scenario::Scenario;
use rxrpc_sim::LinkConfig;

fn run(len: u64, loss: f64, seed: u64) {
    let s = Scenario::simple(seed, LinkConfig::acceptance(loss), len, 2);
    let t = std::time::Instant::now();
    let r = s.run();
    eprintln!(
        "len {len} loss {loss}: {} calls ok, simulated {:?}, {} datagrams, {} retransmitted, {:?} real",
        r.succeeded,
        r.sim_time,
        r.datagrams,
        r.retransmits,
        t.elapsed()
    );
    assert!(r.failures.is_empty(), "{:#?}", r.failures);
    assert_eq!(r.succeeded, 2);
}

#[test]
fn one_byte() {
    for (i, loss) in [0.0, 0.05, 0.2].into_iter().enumerate() {
        run(1, loss, 100 + i as u64);
    }
}

#[test]
fn sixty_four_kib() {
    for (i, loss) in [0.0, 0.05, 0.2].into_iter().enumerate() {
        run(64 << 10, loss, 200 + i as u64);
    }
}

#[test]
fn eight_mib() {
    for (i, loss) in [0.0, 0.05, 0.2].into_iter().enumerate() {
        run(8 << 20, loss, 300 + i as u64);
    }
}
