//! A group's Tx total (a socket's, against its send buffer) is the sum of
//! its calls' Tx data held, kept as the calls queue data, are ACKed, move
//! between groups and go; a watch of the group wakes on the first freed;
//! a group forgotten counts nothing.

mod common;

use common::{drain, endpoint, pair_with_call, SERVER, SVC};
use rxrpc_proto::{CallParams, Event, Instant, Timeouts};

#[test]
fn a_group_total_is_the_sum_of_its_calls() {
    let now = Instant(1_000_000_000);
    let (mut client, mut server, a) = pair_with_call(now);
    let params = CallParams {
        remote: SERVER,
        service_id: SVC,
        user: 2,
        upgrade: false,
        exclusive: false,
        security: Default::default(),
        timeouts: Timeouts::default(),
    };
    let b = client.begin_call(now, params).unwrap();
    client.set_call_group(a, 7);
    client.set_call_group(b, 7);
    client.send(a, &[1; 5000], false).unwrap();
    client.send(b, &[2; 3000], false).unwrap();
    let sum = |ep: &common::Ep| ep.call_tx_held(a) + ep.call_tx_held(b);
    assert!(sum(&client) > 8000);
    assert_eq!(client.group_tx_held(7), Some(sum(&client)));
    assert_eq!(client.group_tx_held(8), Some(0));

    // One call moves to another group.
    client.set_call_group(b, 8);
    assert_eq!(client.group_tx_held(7), Some(client.call_tx_held(a)));
    assert_eq!(client.group_tx_held(8), Some(client.call_tx_held(b)));

    // The server ACKs all (a second charge takes call b); the watch of
    // group 7 gets a TxSpace event for its call once some is freed.
    server.charge(now, 101).unwrap();
    assert!(client.watch_group_tx(7));
    let mut tx_space = Vec::new();
    let mut t = now;
    for _ in 0..50 {
        for p in drain(&mut client, t) {
            server.handle_datagram(t, common::CLIENT, &p);
        }
        // The service reads what came: only what it consumed is hard-ACKed.
        while let Some(e) = server.poll_event() {
            if let Event::DataReady { call, .. } = e {
                while server
                    .recv(t, call, &mut [0; 4096], false)
                    .is_ok_and(|r| r.bytes > 0)
                {}
            }
        }
        for p in drain(&mut server, t) {
            client.handle_datagram(t, SERVER, &p);
        }
        while let Some(e) = client.poll_event() {
            if let Event::TxSpace { call, .. } = e {
                tx_space.push(call);
            }
        }
        t = t.after(core::time::Duration::from_millis(10));
        client.handle_timeout(t);
        server.handle_timeout(t);
    }
    assert_eq!(tx_space, [a]);
    assert_eq!(sum(&client), 0);
    assert_eq!(client.group_tx_held(7), Some(0));
    assert_eq!(client.group_tx_held(8), Some(0));

    // A released call leaves its group's total.
    let mut other = endpoint(3);
    let c = other
        .begin_call(now, CallParams { user: 3, ..params })
        .unwrap();
    other.set_call_group(c, 9);
    other.send(c, &[3; 2000], true).unwrap();
    assert!(other.group_tx_held(9).unwrap() > 0);
    other.abort(now, c, 1).unwrap();
    other.release(now, c);
    other.handle_timeout(now.after(core::time::Duration::from_secs(1)));
    assert_eq!(other.group_tx_held(9), Some(0));

    // A group forgotten (its socket going) counts its calls no more.
    let d = other
        .begin_call(now, CallParams { user: 4, ..params })
        .unwrap();
    other.set_call_group(d, 10);
    other.send(d, &[4; 2000], true).unwrap();
    assert!(other.group_tx_held(10).unwrap() > 0);
    other.forget_group(10, [d].into_iter());
    assert_eq!(other.group_tx_held(10), Some(0));
    other.send(d, &[4; 2000], false).unwrap();
    assert_eq!(other.group_tx_held(10), Some(0));
}
