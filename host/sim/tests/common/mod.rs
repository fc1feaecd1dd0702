//! Endpoints driven by hand, shared by the tests that hand them datagrams
//! themselves rather than through the simulator.
#![allow(dead_code)]

use rxrpc_proto::{
    CallHandle, CallParams, Config, Endpoint, Instant, NullSecurity, ServiceConfig, Timeouts,
    TransportAddr, MAX_PACKET,
};
use rxrpc_sim::StdEnv;

pub(crate) const SVC: u16 = 52;
pub(crate) const CLIENT: TransportAddr = TransportAddr::V4([10, 0, 0, 1], 7000);
pub(crate) const SERVER: TransportAddr = TransportAddr::V4([10, 0, 0, 2], 7000);

pub(crate) type Ep = Endpoint<StdEnv, NullSecurity>;

/// An endpoint without security, with client epoch `epoch`.
pub(crate) fn endpoint(epoch: u32) -> Ep {
    Endpoint::new(
        StdEnv::default(),
        NullSecurity,
        Config {
            epoch,
            ..Config::default()
        },
    )
}

/// Everything `ep` wants to send now.
pub(crate) fn drain(ep: &mut Ep, now: Instant) -> Vec<Vec<u8>> {
    let mut buf = vec![0; MAX_PACKET];
    let mut out = Vec::new();
    while let Some((_, len)) = ep.poll_transmit(now, &mut buf) {
        out.push(buf[..len].to_vec());
    }
    out
}

/// A server listening on `SVC`, charged with `charges` users from 100.
pub(crate) fn server(now: Instant, charges: u64) -> Ep {
    let mut s = endpoint(2);
    s.listen(ServiceConfig {
        service_ids: [SVC, 0],
        backlog: 4,
        ..ServiceConfig::default()
    })
    .unwrap();
    for u in 0..charges {
        s.charge(now, 100 + u).unwrap();
    }
    s
}

/// A plain call of `user` to service `SVC` at `SERVER`.
pub(crate) fn params(user: u64) -> CallParams {
    CallParams {
        remote: SERVER,
        service_id: SVC,
        user,
        upgrade: false,
        exclusive: false,
        security: Default::default(),
        timeouts: Timeouts::default(),
    }
}

/// A client with a call begun to a listening server at `SERVER`, charged
/// with user 100.
pub(crate) fn pair_with_call(now: Instant) -> (Ep, Ep, CallHandle) {
    let mut client = endpoint(1);
    let server = server(now, 1);
    let call = client.begin_call(now, params(1)).unwrap();
    (client, server, call)
}

/// Hands `server` the `request` datagrams of one call at `now`: returns
/// the server's call, which has data to read.
pub(crate) fn receive(server: &mut Ep, now: Instant, request: &[Vec<u8>]) -> CallHandle {
    for p in request {
        server.handle_datagram(now, CLIENT, p);
    }
    let mut served = None;
    while let Some(e) = server.poll_event() {
        if let rxrpc_proto::Event::DataReady { call, .. } = e {
            served = Some(call);
        }
    }
    served.expect("the request arrived")
}

/// As [`receive`], and reads the request and sends "reply".
pub(crate) fn answer(server: &mut Ep, now: Instant, request: &[Vec<u8>]) -> CallHandle {
    let served = receive(server, now, request);
    let mut buf = [0; 64];
    server.recv(now, served, &mut buf, false).unwrap();
    server.send(served, b"reply", false).unwrap();
    served
}
