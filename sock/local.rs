//! Local endpoints: one UDP socket and one engine, shared by every AF_RXRPC
//! socket bound to the same transport address in the same namespace (as in
//! the C module, where a UDP port may serve several client sockets but only
//! one service socket).

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

use super::env::KernelEnv;
use crate::ffi::io::{now, random_u32, Io, NetNs};
use crate::proto::{Config, Endpoint, Instant, NullSecurity, ServiceConfig, TransportAddr, MAX_PACKET};

/// The errno of an engine error.
pub(crate) fn engine_error(e: crate::proto::Error) -> Error {
    Error::from_errno(-e.errno())
}

/// The engine of one local endpoint.
pub(crate) type Engine = Endpoint<KernelEnv, NullSecurity>;

/// Largest UDP payload taken in; larger datagrams are dropped.
const MAX_DATAGRAM: usize = 65536;

/// What the endpoint's mutex guards: the engine and its I/O buffers.
pub(crate) struct Core {
    /// The protocol engine.
    pub(crate) ep: Engine,
    rx: KVec<u8>,
    tx: KVec<u8>,
}

impl Core {
    fn new() -> Result<Self> {
        let mut rx = KVec::with_capacity(MAX_DATAGRAM, GFP_KERNEL)?;
        rx.extend_with(MAX_DATAGRAM, 0, GFP_KERNEL)?;
        let mut tx = KVec::with_capacity(MAX_PACKET, GFP_KERNEL)?;
        tx.extend_with(MAX_PACKET, 0, GFP_KERNEL)?;
        let config = Config { epoch: random_u32(), first_conn_id: random_u32(), ..Config::default() };
        Ok(Self { ep: Endpoint::new(KernelEnv, NullSecurity, config), rx, tx })
    }
}

/// One local endpoint.
#[pin_data]
pub(crate) struct Local {
    #[pin]
    pub(crate) io: Io,
    net: NetNs,
    /// The address asked for (port 0: the one the kernel picked).
    addr: TransportAddr,
    #[pin]
    core: Mutex<Core>,
}

impl Local {
    fn new(net: NetNs, addr: TransportAddr) -> Result<Arc<Self>> {
        let core = Core::new()?;
        let local = Arc::pin_init(
            pin_init!(Local { io <- Io::new(), net, addr, core <- new_mutex!(core) }),
            GFP_KERNEL,
        )?;
        local.io.open(net, &addr)?;
        Ok(local)
    }

    /// Sets up the service side of the engine for a listening socket.
    pub(crate) fn listen(&self, config: ServiceConfig) -> Result {
        self.core.lock().ep.listen(config).map_err(engine_error)
    }

    /// The work item: feeds received packets and expired timers to the
    /// engine, then sends what it wants sent.
    pub(crate) fn run(&self) {
        let mut guard = self.core.lock();
        let core = &mut *guard;
        let now = now();
        let ep = &mut core.ep;
        self.io.drain(&mut core.rx, |from, pkt| ep.handle_datagram(now, from, pkt));
        if core.ep.poll_timeout().is_some_and(|t| t <= now) {
            core.ep.handle_timeout(now);
        }
        self.flush(core, now);
    }

    /// Sends queued packets, hands out events and re-arms the timer.
    fn flush(&self, core: &mut Core, now: Instant) {
        while let Some((to, len)) = core.ep.poll_transmit(now, &mut core.tx) {
            // A lost datagram is the protocol's to recover, like one lost
            // on the wire.
            let _ = self.io.send(&to, &core.tx[..len]);
        }
        // No socket takes calls on the engine yet: the socket API's
        // sendmsg/recvmsg are what consume these events.
        while core.ep.poll_event().is_some() {}
        if let Some(t) = core.ep.poll_timeout() {
            self.io.arm(t.0.saturating_sub(now.0));
        }
    }
}

/// A slot of the registry: an endpoint and how many sockets use it.
struct Entry {
    local: Arc<Local>,
    users: usize,
}

/// Every local endpoint of the module, in every namespace.
#[pin_data]
pub(crate) struct Registry {
    #[pin]
    locals: Mutex<KVec<Option<Entry>>>,
}

impl Registry {
    /// An empty registry.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self { locals <- new_mutex!(KVec::new()) })
    }

    /// The endpoint for `addr` in `net`, made if there is none. A service
    /// socket never shares one: it gets `EADDRINUSE` if the address already
    /// has an endpoint, as in the C module (clients may then share the
    /// service's endpoint).
    pub(crate) fn use_local(&self, net: NetNs, addr: TransportAddr, service: bool) -> Result<Arc<Local>> {
        let mut locals = self.locals.lock();
        let found = locals.iter_mut().flatten().find(|e| e.local.net == net && e.local.addr == addr);
        if let Some(e) = found {
            if service {
                return Err(crate::ffi::errno(crate::ffi::bindings::EADDRINUSE));
            }
            e.users += 1;
            return Ok(e.local.clone());
        }
        let local = Local::new(net, addr)?;
        let entry = Entry { local: local.clone(), users: 1 };
        match locals.iter_mut().find(|e| e.is_none()) {
            Some(slot) => *slot = Some(entry),
            None => locals.push(Some(entry), GFP_KERNEL)?,
        }
        Ok(local)
    }

    /// Gives back an endpoint got from [`Registry::use_local`]; the last
    /// user closes it.
    pub(crate) fn unuse_local(&self, local: Arc<Local>) {
        let mut locals = self.locals.lock();
        for slot in locals.iter_mut() {
            let Some(e) = slot else { continue };
            if !core::ptr::eq(&*e.local, &*local) {
                continue;
            }
            e.users -= 1;
            if e.users == 0 {
                *slot = None;
            }
            return;
        }
    }
}
