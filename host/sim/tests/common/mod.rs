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

/// A client with a call begun to a listening server at `SERVER`, charged
/// with user 100.
pub(crate) fn pair_with_call(now: Instant) -> (Ep, Ep, CallHandle) {
    let mut client = endpoint(1);
    let server = server(now, 1);
    let params = CallParams {
        remote: SERVER,
        service_id: SVC,
        user: 1,
        upgrade: false,
        exclusive: false,
        security: Default::default(),
        timeouts: Timeouts::default(),
    };
    let call = client.begin_call(now, params).unwrap();
    (client, server, call)
}
