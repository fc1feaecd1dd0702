//! Client side of connections: putting calls on channels.
//!
//! A new client call looks for a free channel on its bundle's connections,
//! opening another connection (up to four) if all are busy, and otherwise
//! waits. While a connection probes for a service upgrade, the other calls
//! of its bundle wait too, so that they learn which service id to use.

use super::bundle::{BundleKey, WaitLink};
use super::call::State;
use super::conn::{Conn, ConnKey};
use super::env::{Env, Map};
use super::error::ENOMEM;
use super::event::{CallHandle, Outcome};
use super::local::Endpoint;
use super::security::{ConnIdent, Security};
use super::time::Instant;

/// Client connection ids cycle through 1..MAX_CONN_ID.
pub(crate) const MAX_CONN_ID: u32 = 0x4000_0000;

impl<E: Env, S: Security> Endpoint<E, S> {
    /// Try to give waiting call `h` a channel. Returns whether it got one
    /// (or ended trying).
    pub(crate) fn try_attach(&mut self, h: CallHandle, now: Instant) -> bool {
        let Some(c) = self.calls.get(&h) else {
            return true;
        };
        if c.state != State::AwaitConn {
            return true;
        }
        let Some(bkey) = c.bundle else { return true };
        let upgrade = c.upgrade;
        let Some(bundle) = self.bundles.get(&bkey).copied() else {
            return false;
        };
        let mut probing = false;
        let mut free = None;
        for key in bundle.keys(bkey.peer, self.config.epoch) {
            if let Some(conn) = self.conns.get(&key) {
                if conn.upgrade_probe.is_some() {
                    probing = true;
                }
                if free.is_none() {
                    if let Some(ch) = conn.free_channel() {
                        free = Some((conn.key, ch));
                    }
                }
            }
        }
        if probing {
            return false;
        }
        let (key, ch, fresh) = match free {
            Some((key, ch)) => (key, ch, false),
            None if bundle.has_room() => match self.new_client_conn(bkey) {
                Ok(key) => (key, 0, true),
                Err(outcome) => {
                    if bundle.is_empty() {
                        self.end_call(h, outcome, now);
                        return true;
                    }
                    return false;
                }
            },
            None => return false,
        };
        self.client_conn_busy(key);
        let Some(conn) = self.conns.get_mut(&key) else {
            return false;
        };
        let number = conn.channels[ch].take_client(h);
        // The first call of a connection in an upgrade bundle carries the
        // request and holds up the others until it hears back.
        let probe = upgrade && fresh;
        if probe {
            conn.upgrade_probe = Some(h);
        }
        let service_id = conn.service_id;
        if let Some(c) = self.calls.get_mut(&h) {
            c.probing = probe;
            c.service_id = service_id;
            c.attach(key, ch as u8, number);
        }
        self.unqueue_waiting(bkey, h);
        self.touch(h);
        true
    }

    /// Open a new client connection in bundle `bkey`.
    fn new_client_conn(&mut self, bkey: BundleKey) -> Result<ConnKey, Outcome> {
        self.ensure_peer(bkey.peer)
            .map_err(|()| Outcome::LocalError(ENOMEM))?;
        let cid = self.alloc_conn_id() << 2;
        let key = ConnKey::new(bkey.peer, true, self.config.epoch, cid);
        let ident = ConnIdent {
            epoch: key.epoch,
            cid,
            service_id: bkey.service_id,
            index: bkey.security_index,
            level: bkey.level,
            key: bkey.key,
        };
        let sec = self
            .sec
            .new_conn(true, &ident)
            .map_err(|code| Outcome::LocalAbort {
                code,
                errno: super::error::EPROTO,
            })?;
        let mut conn = Conn::new(key, bkey.service_id, bkey.security_index, sec);
        // The client side needs no handshake of its own: it answers
        // CHALLENGEs as they come.
        conn.secured = true;
        conn.bundle = Some(bkey);
        let Some(key) = self.file_conn(conn) else {
            return Err(Outcome::LocalError(ENOMEM));
        };
        self.conn_changed(key, true);
        self.client_conns = self.client_conns.saturating_add(1);
        if let Some(b) = self.bundles.get_mut(&bkey) {
            b.add(cid, key.slot);
        }
        if let Some(p) = self.peers.get_mut(&bkey.peer) {
            p.conns += 1;
            p.expiry = None;
        }
        Ok(key)
    }

    /// The next client connection id not in use (cyclic in 1..2^30).
    /// Until the ids wrap round each is new, so none can clash and the
    /// connections are not walked for one.
    fn alloc_conn_id(&mut self) -> u32 {
        loop {
            let id = self.next_conn_id;
            self.next_conn_id = if id + 1 >= MAX_CONN_ID {
                self.conn_ids_wrapped = true;
                1
            } else {
                id + 1
            };
            if !self.conn_ids_wrapped {
                return id;
            }
            // Ids are per endpoint; a clash is only possible after 2^30
            // connections, with one still alive.
            let clash = {
                let mut cur = None;
                let mut hit = false;
                while let Some(k) = self.conns.next_after(cur.as_ref()) {
                    cur = Some(k);
                    if k.client && k.cid == id << 2 {
                        hit = true;
                        break;
                    }
                }
                hit
            };
            if !clash {
                return id;
            }
        }
    }

    /// The oldest call waiting for a channel of bundle `bkey`.
    pub(crate) fn first_waiting(&self, bkey: &BundleKey) -> Option<CallHandle> {
        self.bundles.get(bkey)?.waiting.map(|(first, _)| first)
    }

    /// Queue call `h` behind the calls of bundle `bkey` waiting for a
    /// channel.
    pub(crate) fn queue_waiting(&mut self, bkey: BundleKey, h: CallHandle) {
        let Some(b) = self.bundles.get_mut(&bkey) else {
            return;
        };
        let prev = b.waiting.map(|(_, last)| last);
        b.waiting = Some((b.waiting.map_or(h, |(first, _)| first), h));
        if let Some(w) = prev.and_then(|p| self.calls.get_mut(&p)?.wait.as_mut()) {
            w.next = Some(h);
        }
        if let Some(c) = self.calls.get_mut(&h) {
            c.wait = Some(WaitLink { prev, next: None });
        }
    }

    /// Take call `h` out of bundle `bkey`'s queue, if it waits there.
    pub(crate) fn unqueue_waiting(&mut self, bkey: BundleKey, h: CallHandle) {
        let Some(link) = self.calls.get_mut(&h).and_then(|c| c.wait.take()) else {
            return;
        };
        if let Some(w) = link
            .prev
            .and_then(|p| self.calls.get_mut(&p)?.wait.as_mut())
        {
            w.next = link.next;
        }
        if let Some(w) = link
            .next
            .and_then(|n| self.calls.get_mut(&n)?.wait.as_mut())
        {
            w.prev = link.prev;
        }
        if let Some(b) = self.bundles.get_mut(&bkey) {
            if let Some((first, last)) = b.waiting {
                let first = if first == h { link.next } else { Some(first) };
                let last = if last == h { link.prev } else { Some(last) };
                b.waiting = first.zip(last);
            }
        }
    }

    /// A channel of bundle `bkey` may be free: its waiting calls try again
    /// before the entry point returns (`settle`).
    pub(crate) fn activate_soon(&mut self, bkey: BundleKey) {
        if self.first_waiting(&bkey).is_some() && self.activate.insert(bkey, ()).is_err() {
            self.activate_all = true;
        }
    }

    /// Give bundle `bkey`'s channels to its waiting calls, oldest first,
    /// until one finds none: the others would find none either.
    fn activate_channels(&mut self, bkey: BundleKey, now: Instant) {
        while let Some(h) = self.first_waiting(&bkey) {
            if !self.try_attach(h, now) {
                return;
            }
            // Attached, or ended trying: it waits no more.
            self.unqueue_waiting(bkey, h);
            if self.first_waiting(&bkey) == Some(h) {
                // Gone without leaving the queue, which every way out of
                // a call does first: rather than spin, let the calls
                // behind it wait out their timeouts.
                debug_assert!(false, "a call left its bundle's queue behind");
                if let Some(b) = self.bundles.get_mut(&bkey) {
                    b.waiting = None;
                }
                return;
            }
        }
    }

    /// Give channels to the waiting calls of the bundles that may have
    /// some free.
    pub(crate) fn attach_waiting(&mut self, now: Instant) {
        if core::mem::take(&mut self.activate_all) {
            let mut cur = None;
            while let Some(bkey) = self.bundles.next_after(cur.as_ref()) {
                self.activate.remove(&bkey);
                self.activate_channels(bkey, now);
                cur = Some(bkey);
            }
        }
        while let Some(bkey) = self.activate.next_after(None) {
            self.activate.remove(&bkey);
            self.activate_channels(bkey, now);
        }
    }
}
