//! Incoming calls: services, the backlog, charged user ids, accepting.
//!
//! A local endpoint serves at most two service ids (two for a service
//! upgrade pair). A new incoming call takes the oldest charged user id if
//! there is one (CHARGE_ACCEPT), else waits in the accept queue, announced
//! by a `NewCall` event, until `accept_next` (NEW_CALL + ACCEPT) or, at
//! most, `Config::accept_wait`. If the queue is at its backlog limit, or
//! memory runs out, the call gets BUSY.
//!
//! The two models cannot starve each other: once a service has charged,
//! it is served as Linux 6.12 serves it. An uncharged call gets BUSY and
//! never takes a backlog slot that only an ACCEPT, which a program of the
//! charge model never sends, would free.

use super::call::{Call, Side};
use super::conn::{Conn, ConnKey};
use super::env::{Env, Map};
use super::error::{Error, ETIME};
use super::event::CallHandle;
use super::local::Endpoint;
use super::security::{ConnIdent, Security, LEVEL_NOT_KNOWN};
use super::time::Instant;
use super::wire::{Header, RX_CALL_TIMEOUT, RX_INVALID_OPERATION, USERSTATUS_SERVICE_UPGRADE};

/// Largest backlog (the C sysctl's upper bound).
pub const MAX_BACKLOG: u32 = 32;

/// Service configuration of a local endpoint (bind, listen, setsockopt).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Bound service ids; 0 is unused. Two only for an upgrade pair.
    pub service_ids: [u16; 2],
    /// RXRPC_UPGRADEABLE_SERVICE: calls asking for it move from `.0` to `.1`.
    pub upgrade: Option<(u16, u16)>,
    /// Accept queue limit; 0: not listening (incoming calls get BUSY).
    pub backlog: u32,
    /// Only charged user ids take calls; others get BUSY at once (the
    /// Linux 6.12 behaviour) instead of waiting for `accept_next`.
    pub charge_only: bool,
    /// Lowest security index accepted (0 accepts unsecured calls).
    pub min_security_index: u8,
    /// RXRPC_MIN_SECURITY_LEVEL: handed to the security hook with each
    /// service connection, which refuses RESPONSEs below it.
    pub min_security_level: u32,
    /// The caller's tag of the server keyring, passed to the security hook
    /// (0: none, which rxkad takes as no key for any secured call).
    pub keyring: u64,
}

/// The service state of an endpoint.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Service {
    pub(crate) config: ServiceConfig,
    /// Calls in the accept queue.
    pub(crate) queued: u32,
    /// The service has charged: uncharged calls get BUSY from now on.
    pub(crate) charge_model: bool,
    /// Incoming calls set up (rxdebug's calls executed).
    pub(crate) calls: u64,
    /// Incoming calls that went to the accept queue (rxdebug's calls that
    /// waited for a thread).
    pub(crate) waited: u64,
}

impl Service {
    /// Whether `id` is bound here.
    fn serves(&self, id: u16) -> bool {
        id != 0 && self.config.service_ids.contains(&id)
    }
}

/// Preallocated user ids for incoming calls, oldest first.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Charges {
    ids: [u64; MAX_BACKLOG as usize],
    head: usize,
    len: usize,
}

impl Charges {
    fn push(&mut self, user: u64) -> bool {
        if self.len == self.ids.len() {
            return false;
        }
        let i = (self.head + self.len) % self.ids.len();
        self.ids[i] = user;
        self.len += 1;
        true
    }

    fn pop(&mut self) -> Option<u64> {
        if self.len == 0 {
            return None;
        }
        let u = self.ids[self.head];
        self.head = (self.head + 1) % self.ids.len();
        self.len -= 1;
        Some(u)
    }

    /// User ids charged and not taken yet.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Why an incoming call was not set up.
pub(crate) enum Reject {
    /// Tell the client BUSY.
    Busy,
    /// Abort the call with this code.
    Abort(u32),
    /// Say nothing.
    Drop,
}

impl<E: Env, S: Security> Endpoint<E, S> {
    /// Bind/listen: set the services and backlog. The backlog may change
    /// at any time; the ids only while no call is waiting for acceptance.
    pub fn listen(&mut self, config: ServiceConfig) -> Result<(), Error> {
        if config.backlog > MAX_BACKLOG {
            return Err(Error::Invalid);
        }
        if let Some((from, to)) = config.upgrade {
            if from == to
                || !config.service_ids.contains(&from)
                || !config.service_ids.contains(&to)
                || from == 0
            {
                return Err(Error::Invalid);
            }
        }
        if config.service_ids != self.service.config.service_ids {
            if self.service.queued > 0 {
                return Err(Error::Busy);
            }
            // A new service picks its accept model afresh.
            self.service.charge_model = false;
        }
        self.service.config = config;
        Ok(())
    }

    /// Whether the backlog has room for one more charge: charges and
    /// calls waiting to be accepted together stay within it.
    pub fn charge_room(&self) -> bool {
        let held = self
            .charges
            .len
            .saturating_add(self.service.queued as usize);
        held < self.service.config.backlog as usize
    }

    /// CHARGE_ACCEPT: the next incoming call gets user tag `user`. A call
    /// that came before the service's first charge and still waits in
    /// the accept queue takes it at once: that call is returned.
    ///
    /// `user` must name no other charge or live call: the engine keeps no
    /// index of tags to check (the kernel glue's are fresh by
    /// construction, and it refuses a user call ID in use itself).
    pub fn charge(&mut self, now: Instant, user: u64) -> Result<Option<CallHandle>, Error> {
        if !self.charge_room() {
            return Err(Error::NoBuffers);
        }
        self.service.charge_model = true;
        if let Some(h) = self.take_queued(now, user) {
            return Ok(Some(h));
        }
        if !self.charges.push(user) {
            return Err(Error::NoBuffers);
        }
        Ok(None)
    }

    /// ACCEPT: give the oldest call in the accept queue the tag `user`,
    /// which, as for [`Endpoint::charge`], names no other.
    pub fn accept_next(&mut self, now: Instant, user: u64) -> Result<CallHandle, Error> {
        self.take_queued(now, user).ok_or(Error::NoCallToAccept)
    }

    /// The oldest call in the accept queue, now tagged `user`.
    fn take_queued(&mut self, now: Instant, user: u64) -> Option<CallHandle> {
        if self.service.queued == 0 {
            return None;
        }
        while let Some(h) = self.accept_queue.next_after(None) {
            self.accept_queue.remove(&h);
            let Some(c) = self.calls.get_mut(&h) else {
                continue;
            };
            if !c.awaiting_accept {
                continue;
            }
            c.accepted(now);
            self.service.queued = self.service.queued.saturating_sub(1);
            c.user = Some(user);
            if c.rx.readable() {
                c.pending.data = true;
            }
            self.touch(h);
            return Some(h);
        }
        None
    }

    /// The service connection for `key`, made from the first DATA `hdr`
    /// of its first call if it does not exist.
    pub(crate) fn service_conn(
        &mut self,
        key: ConnKey,
        hdr: &Header,
        now: Instant,
    ) -> Result<(), Reject> {
        if self.conns.get(&key).is_some() {
            return Ok(());
        }
        let cfg = self.service.config;
        if !self.service.serves(hdr.service_id) {
            return Err(if hdr.seq == 1 {
                Reject::Abort(RX_INVALID_OPERATION)
            } else {
                Reject::Drop
            });
        }
        if hdr.security_index < cfg.min_security_index {
            return Err(Reject::Abort(RX_INVALID_OPERATION));
        }
        let mut service_id = hdr.service_id;
        if hdr.user_status == USERSTATUS_SERVICE_UPGRADE {
            if let Some((from, to)) = cfg.upgrade {
                if from == service_id {
                    service_id = to;
                }
            }
        }
        let ident = ConnIdent {
            epoch: key.epoch,
            cid: key.cid,
            service_id,
            index: hdr.security_index,
            level: cfg.min_security_level,
            key: cfg.keyring,
        };
        let sec = self.sec.new_conn(false, &ident).map_err(Reject::Abort)?;
        let mut conn = Conn::new(key, service_id, hdr.security_index, sec);
        // Until a call takes a channel, the connection is idle.
        let expiry = now.after(self.config.service_conn_idle);
        conn.expiry = Some(expiry);
        self.ensure_peer(key.peer).map_err(|()| Reject::Busy)?;
        let Some(key) = self.file_conn(conn) else {
            self.peer_maybe_idle(key.peer, now);
            return Err(Reject::Busy);
        };
        self.conn_changed(key, true);
        self.arm_conn(key);
        if let Some(p) = self.peers.get_mut(&key.peer) {
            p.conns += 1;
            p.expiry = None;
        }
        Ok(())
    }

    /// The oldest charged call still waiting for the first packet of its
    /// request (what forged DATA of a later sequence begins), if any.
    fn oldest_unstarted(&mut self) -> Option<CallHandle> {
        while let Some(h) = self.unstarted.next_after(None) {
            let c = self.calls.get(&h);
            if c.is_some_and(|c| c.user.is_some() && c.awaiting_first()) {
                return Some(h);
            }
            self.unstarted.remove(&h);
        }
        None
    }

    /// Take the charge of `old` (from `oldest_unstarted`) for a new call
    /// that has its first packet, so that calls begun by forged DATA cannot
    /// hold every charge until their REQUEST_START runs out. `old` ends
    /// with RX_CALL_TIMEOUT, as it would have then; its user never heard
    /// of it, and hears of the new call under the same id.
    fn reclaim_charge(&mut self, old: CallHandle, now: Instant) -> Option<u64> {
        self.unstarted.remove(&old);
        let user = self.calls.get_mut(&old)?.user.take()?;
        self.abort_call(old, RX_CALL_TIMEOUT, ETIME, now);
        Some(user)
    }

    /// A new call on service connection `key`, channel `ch`, from `hdr`.
    pub(crate) fn new_incoming_call(
        &mut self,
        key: ConnKey,
        hdr: &Header,
        now: Instant,
    ) -> Result<CallHandle, Reject> {
        let cfg = self.service.config;
        if cfg.backlog == 0 {
            return Err(Reject::Busy);
        }
        let charged = self.charges.len > 0;
        let charge_only = cfg.charge_only || self.service.charge_model;
        // With no charge left, a call that has its first packet may take
        // the charge of one still waiting for its own.
        let reclaim = match (charged, charge_only, hdr.seq) {
            (false, true, 1) => self.oldest_unstarted(),
            _ => None,
        };
        if !charged && reclaim.is_none() && (charge_only || self.service.queued >= cfg.backlog) {
            return Err(Reject::Busy);
        }
        let Some(conn) = self.conns.get(&key) else {
            return Err(Reject::Busy);
        };
        let space = self.data_space(&key.peer);
        let max_payload = self
            .sec
            .max_plain(conn.security_index, LEVEL_NOT_KNOWN, space)
            .max(1);
        let service_id = conn.service_id;
        let Some(h) = self.calls.vacant(self.next_handle) else {
            return Err(Reject::Busy);
        };
        let rings = self.rings();
        let mut call = Call::new(
            Side::Server,
            None,
            key.peer,
            service_id,
            max_payload,
            self.config.rx_window,
            rings,
            Default::default(),
            now,
        );
        call.conn = Some(key);
        call.channel = hdr.channel() as u8;
        call.call_number = hdr.call_number;
        if !self.file_call(h, call) {
            return Err(Reject::Busy);
        }
        self.tm_ready.push_in(&mut self.calls, h);
        self.next_handle += 1;
        let user = match reclaim {
            Some(old) => self.reclaim_charge(old, now),
            None if charged => self.charges.pop(),
            None => None,
        };
        if user.is_none() && self.accept_queue.insert(h, ()).is_err() {
            self.calls.remove(&h);
            return Err(Reject::Busy);
        }
        self.service.calls = self.service.calls.wrapping_add(1);
        if user.is_some() && hdr.seq != 1 {
            // Unlisted for lack of memory, it keeps its charge until its
            // REQUEST_START runs out.
            let _ = self.unstarted.insert(h, ());
        }
        if let Some(c) = self.calls.get_mut(&h) {
            c.user = user;
            if user.is_none() {
                c.await_accept(now.after(self.config.accept_wait));
                self.service.queued += 1;
                self.service.waited = self.service.waited.wrapping_add(1);
            }
        }
        if let Some(conn) = self.conns.get_mut(&key) {
            conn.expiry = None;
            if let Some(chan) = conn.channels.get_mut(hdr.channel() as usize) {
                chan.take_service(h, hdr.call_number);
            }
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_fifo_and_bounded() {
        let mut c = Charges::default();
        for i in 0..MAX_BACKLOG as u64 {
            assert!(c.push(i));
        }
        assert!(!c.push(99));
        assert_eq!(c.pop(), Some(0));
        assert!(c.push(99));
        for i in 1..MAX_BACKLOG as u64 {
            assert_eq!(c.pop(), Some(i));
        }
        assert_eq!(c.pop(), Some(99));
        assert_eq!(c.pop(), None);
    }
}
