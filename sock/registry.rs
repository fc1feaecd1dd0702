//! The registry of local endpoints: which endpoint serves which address in
//! which namespace, and how many sockets use each.

use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

use super::endpoint::{Core, Local};
use super::proc::Retired;
use crate::kapi::errno::EADDRINUSE;
use crate::kapi::net::NetNs;
use crate::proto::TransportAddr;

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
    /// The counters of closed endpoints, per namespace.
    #[pin]
    pub(crate) retired: Retired,
}

impl Registry {
    /// An empty registry.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self { locals <- new_mutex!(KVec::new()), retired <- Retired::new() })
    }

    /// The endpoint for `addr` in `net`, made if there is none. A service
    /// socket never shares one: it gets `EADDRINUSE` if the address already
    /// has an endpoint, as in the C module (clients may then share the
    /// service's endpoint).
    pub(crate) fn use_local(
        &self,
        net: NetNs,
        addr: TransportAddr,
        service: bool,
    ) -> Result<Arc<Local>> {
        let mut locals = self.locals.lock();
        let found = locals
            .iter_mut()
            .flatten()
            .find(|e| e.local.is_at(net, &addr));
        if let Some(e) = found {
            if service {
                return Err(EADDRINUSE.into());
            }
            e.users += 1;
            return Ok(e.local.clone());
        }
        let local = Local::create(net, addr)?;
        let entry = Entry {
            local: local.clone(),
            users: 1,
        };
        match locals.iter_mut().find(|e| e.is_none()) {
            Some(slot) => *slot = Some(entry),
            None => locals.push(Some(entry), GFP_KERNEL)?,
        }
        Ok(local)
    }

    /// Runs `f` on each endpoint of `net` with its engine locked, with the
    /// state `start` makes first, all under the registry's lock, so that no
    /// endpoint comes or goes meanwhile (for /proc/net/rxrpc). `f` gets
    /// the endpoint, its core and the number of sockets using it; it must
    /// not sleep.
    pub(crate) fn visit<T>(
        &self,
        net: NetNs,
        start: impl FnOnce() -> T,
        mut f: impl FnMut(&mut T, &Local, &mut Core, usize),
    ) -> T {
        let locals = self.locals.lock();
        let mut state = start();
        for e in locals.iter().flatten().filter(|e| e.local.net() == net) {
            let mut core = e.local.lock();
            f(&mut state, &e.local, &mut core, e.users);
        }
        state
    }

    /// How many endpoints are open: none once every socket is closed.
    pub(crate) fn len(&self) -> usize {
        self.locals.lock().iter().flatten().count()
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
                // Its counters go on counting for the namespace.
                self.retired.add(&e.local, &mut e.local.lock());
                *slot = None;
            }
            return;
        }
    }
}
