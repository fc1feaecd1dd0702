//! A userspace driver for the engine: one UDP socket, a clock, a loop.
//!
//! This is what the kernel glue does with a socket, a timer and a mutex,
//! written with `std::net`: feed received datagrams and `now` in, drain
//! packets, events and the next deadline out. The example applications are
//! a client that sends a patterned request and checks that the reply is
//! its XOR with 0x5A, and a server that sends that reply.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant as Wall};

use rxrpc_proto::{
    CallHandle, CallParams, Config, Endpoint, Event, Instant, NullSecurity, Outcome, ServiceConfig,
    TransportAddr, MAX_PACKET,
};
use rxrpc_sim::rng::pattern;
use rxrpc_sim::sim::REPLY_XOR;
use rxrpc_sim::StdEnv;

/// Engine address from a socket address.
pub fn to_transport(a: SocketAddr) -> TransportAddr {
    match a {
        SocketAddr::V4(v) => TransportAddr::V4(v.ip().octets(), v.port()),
        SocketAddr::V6(v) => TransportAddr::V6(v.ip().octets(), v.port()),
    }
}

/// Socket address from an engine address.
pub fn to_socket(a: TransportAddr) -> SocketAddr {
    match a {
        TransportAddr::V4(ip, port) => SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port),
        TransportAddr::V6(ip, port) => SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port),
    }
}

/// One engine on one UDP socket.
pub struct Driver {
    /// The engine.
    pub ep: Endpoint<StdEnv, NullSecurity>,
    sock: UdpSocket,
    start: Wall,
    buf: Vec<u8>,
}

impl Driver {
    /// Bind `addr` and make an engine for it; `seed` replaces the random
    /// epoch and connection id.
    pub fn bind(addr: SocketAddr, seed: u32) -> std::io::Result<Self> {
        let sock = UdpSocket::bind(addr)?;
        let cfg = Config {
            epoch: seed,
            first_conn_id: seed & 0x3fff_ffff,
            ..Config::default()
        };
        Ok(Driver {
            ep: Endpoint::new(StdEnv::default(), NullSecurity, cfg),
            sock,
            start: Wall::now(),
            buf: vec![0; 65536],
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.sock.local_addr().expect("bound socket")
    }

    /// The engine's idea of now.
    pub fn now(&self) -> Instant {
        Instant(self.start.elapsed().as_nanos() as u64)
    }

    /// Send everything the engine has queued.
    pub fn flush(&mut self) -> std::io::Result<()> {
        let mut out = [0u8; MAX_PACKET];
        while let Some((to, n)) = self.ep.poll_transmit(self.now(), &mut out) {
            self.sock.send_to(&out[..n], to_socket(to))?;
        }
        Ok(())
    }

    /// Wait for one datagram or the engine's deadline (at most `cap`), and
    /// feed what happened to the engine.
    pub fn wait(&mut self, cap: Duration) -> std::io::Result<()> {
        self.flush()?;
        let now = self.now();
        let wait = match self.ep.poll_timeout() {
            Some(t) if t <= now => Duration::ZERO,
            Some(t) => t.since(now).min(cap),
            None => cap,
        };
        if wait.is_zero() {
            self.ep.handle_timeout(now);
            return self.flush();
        }
        self.sock.set_read_timeout(Some(wait))?;
        match self.sock.recv_from(&mut self.buf) {
            Ok((n, from)) => {
                let now = self.now();
                self.ep
                    .handle_datagram(now, to_transport(from), &self.buf[..n]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
        let now = self.now();
        if self.ep.poll_timeout().is_some_and(|t| t <= now) {
            self.ep.handle_timeout(now);
        }
        self.flush()
    }
}

/// Make one call of `len` bytes to `server`, check the reply, and return
/// how it ended.
pub fn client_call(
    d: &mut Driver,
    server: SocketAddr,
    service_id: u16,
    len: usize,
    seed: u64,
) -> std::io::Result<Outcome> {
    let request: Vec<u8> = (0..len as u64).map(|i| pattern(seed, i)).collect();
    let params = CallParams {
        remote: to_transport(server),
        service_id,
        user: seed,
        upgrade: false,
        exclusive: false,
        security: Default::default(),
        timeouts: Default::default(),
    };
    let call =
        d.ep.begin_call(d.now(), params)
            .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let (mut sent, mut got, mut ended) = (0, 0usize, false);
    let mut rbuf = vec![0u8; 65536];
    loop {
        if !ended {
            if let Ok(n) = d.ep.send(call, &request[sent..], false) {
                sent += n;
                ended = sent == len;
            }
        }
        while let Some(ev) = d.ep.poll_event() {
            match ev {
                Event::DataReady { .. } => loop {
                    let r =
                        d.ep.recv(d.now(), call, &mut rbuf, false)
                            .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
                    for (k, b) in rbuf[..r.bytes].iter().enumerate() {
                        if *b != pattern(seed, (got + k) as u64) ^ REPLY_XOR {
                            return Err(std::io::Error::other("reply corrupt"));
                        }
                    }
                    got += r.bytes;
                    if r.bytes == 0 || r.end_of_data {
                        break;
                    }
                },
                Event::Complete { outcome, .. } => {
                    while let Ok(r) = d.ep.recv(d.now(), call, &mut rbuf, false) {
                        got += r.bytes;
                        if r.bytes == 0 {
                            break;
                        }
                    }
                    d.ep.release(d.now(), call);
                    if outcome == Outcome::Succeeded && got != len {
                        return Err(std::io::Error::other(format!(
                            "reply has {got} of {len} bytes"
                        )));
                    }
                    d.flush()?;
                    return Ok(outcome);
                }
                _ => {}
            }
        }
        d.wait(Duration::from_millis(100))?;
    }
}

/// Serve `service_id` until `calls` calls completed (forever if `None`).
pub fn serve(d: &mut Driver, service_id: u16, calls: Option<u64>) -> std::io::Result<()> {
    let cfg = ServiceConfig {
        service_ids: [service_id, 0],
        backlog: 16,
        ..ServiceConfig::default()
    };
    d.ep.listen(cfg)
        .map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let mut active: Vec<(CallHandle, Vec<u8>, Option<usize>)> = Vec::new();
    let mut rbuf = vec![0u8; 65536];
    let mut next_user = 1u64;
    let mut done = 0;
    while calls.map_or(true, |n| done < n) {
        while let Some(ev) = d.ep.poll_event() {
            match ev {
                Event::NewCall { .. } => {
                    if let Ok(h) = d.ep.accept_next(d.now(), next_user) {
                        next_user += 1;
                        active.push((h, Vec::new(), None));
                    }
                }
                Event::Complete { call, .. } => {
                    d.ep.release(d.now(), call);
                    active.retain(|a| a.0 != call);
                    done += 1;
                }
                _ => {}
            }
        }
        for (h, req, reply_sent) in &mut active {
            if reply_sent.is_none() {
                while let Ok(r) = d.ep.recv(d.now(), *h, &mut rbuf, false) {
                    req.extend_from_slice(&rbuf[..r.bytes]);
                    if r.end_of_data {
                        *reply_sent = Some(0);
                        for b in req.iter_mut() {
                            *b ^= REPLY_XOR;
                        }
                        break;
                    }
                    if r.bytes == 0 {
                        break;
                    }
                }
            }
            if let Some(s) = reply_sent {
                if *s <= req.len() {
                    if let Ok(n) = d.ep.send(*h, &req[*s..], false) {
                        *s += n;
                        if *s == req.len() {
                            *s = req.len() + 1;
                        }
                    }
                }
            }
        }
        d.wait(Duration::from_millis(100))?;
    }
    Ok(())
}
