//! The engine over real UDP on the loopback interface.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;

use rxrpc_proto::Outcome;
use rxrpc_udp_driver::{client_call, serve, Driver};

#[test]
fn calls_over_loopback_udp() {
    let (tx, rx) = mpsc::channel();
    let t = thread::spawn(move || {
        let mut server = Driver::bind(SocketAddr::from(([127, 0, 0, 1], 0)), 7).unwrap();
        tx.send(server.local_addr()).unwrap();
        serve(&mut server, 4242, Some(3)).unwrap();
    });
    let addr = rx.recv().unwrap();
    let mut client = Driver::bind(SocketAddr::from(([127, 0, 0, 1], 0)), 9).unwrap();
    for (i, len) in [1usize, 70_000, 1 << 20].into_iter().enumerate() {
        assert_eq!(
            client_call(&mut client, addr, 4242, len, i as u64).unwrap(),
            Outcome::Succeeded
        );
    }
    t.join().unwrap();
}
