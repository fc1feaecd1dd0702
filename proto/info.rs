//! Snapshots of an endpoint's connections, bundles and peers, to list them
//! (/proc/net/rxrpc). Calls have [`super::Endpoint::call_info`].
//!
//! Each kind is walked in key order with a `next_*` call that takes the
//! last key seen, so a walk may go on across changes to the endpoint.

use core::time::Duration;

use super::addr::TransportAddr;
use super::bundle::{BundleKey, MAX_BUNDLE_CONNS};
use super::congestion::INITIAL_SSTHRESH;
use super::conn::ConnKey;
use super::counters::Counters;
use super::env::{Env, Map};
use super::event::CallHandle;
use super::local::Endpoint;
use super::output::MAX_PACKET;
use super::security::Security;
use super::time::Instant;
use super::wire::{Flags, Header, CHANNEL_MASK};

/// Names a connection of an endpoint while it exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConnHandle(ConnKey);

/// A snapshot of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnInfo {
    /// The peer.
    pub peer: TransportAddr,
    /// We are the client.
    pub client: bool,
    /// The client's epoch.
    pub epoch: u32,
    /// Connection id (channel bits clear).
    pub cid: u32,
    /// Service id (after any upgrade).
    pub service_id: u16,
    /// Security index.
    pub security_index: u8,
    /// Security is established (or not needed).
    pub secured: bool,
    /// Client: the caller's key tag (0: none).
    pub key: u64,
    /// Serial of the last packet sent on it (0: none yet).
    pub serial: u32,
    /// Current or last call number of each channel (0: none yet).
    pub call_numbers: [u32; 4],
    /// The call on each channel.
    pub calls: [Option<CallHandle>; 4],
}

/// Names a client bundle of an endpoint while it exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BundleHandle(BundleKey);

/// A snapshot of one client bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BundleInfo {
    /// The peer.
    pub peer: TransportAddr,
    /// Service id asked for.
    pub service_id: u16,
    /// Security index and level.
    pub security: (u8, u32),
    /// The caller's key tag (0: none).
    pub key: u64,
    /// The bundle is one exclusive call's own.
    pub exclusive: bool,
    /// Its calls ask for a service upgrade.
    pub upgrade: bool,
    /// Connection ids of its connections.
    pub conns: [Option<u32>; MAX_BUNDLE_CONNS],
}

/// A snapshot of one peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// Its transport address.
    pub addr: TransportAddr,
    /// Connections to it.
    pub conns: u32,
    /// Smoothed RTT, once measured.
    pub srtt: Option<Duration>,
    /// Retransmission timeout (before any per-call backoff).
    pub rto: Duration,
    /// The slow-start threshold new calls to it start with (fixed: the
    /// engine keeps congestion state per call, not per peer).
    pub ssthresh: u32,
    /// The ifMTU advertised to it: the route's MTU less the IP, UDP and
    /// RxRPC headers ([`MAX_PACKET`] if the caller does not know it).
    pub mtu: u32,
    /// When we last sent it something.
    pub last_tx: Option<Instant>,
}

impl<E: Env, S: Security> Endpoint<E, S> {
    /// The connection after `after` (the first if `None`).
    pub fn next_conn(&mut self, after: Option<ConnHandle>) -> Option<ConnHandle> {
        self.conns
            .next_after(after.as_ref().map(|h| &h.0))
            .map(ConnHandle)
    }

    /// A snapshot of a connection.
    pub fn conn_info(&self, conn: ConnHandle) -> Option<ConnInfo> {
        let c = self.conns.get(&conn.0)?;
        Some(ConnInfo {
            peer: c.key.peer,
            client: c.key.client,
            epoch: c.key.epoch,
            cid: c.key.cid,
            service_id: c.service_id,
            security_index: c.security_index,
            secured: c.secured,
            key: c.bundle.map_or(0, |b| b.key),
            serial: c.serial(),
            call_numbers: c.call_numbers(),
            calls: c.channels.map(|ch| ch.call),
        })
    }

    /// The client bundle after `after` (the first if `None`).
    pub fn next_bundle(&mut self, after: Option<BundleHandle>) -> Option<BundleHandle> {
        self.bundles
            .next_after(after.as_ref().map(|h| &h.0))
            .map(BundleHandle)
    }

    /// A snapshot of a client bundle.
    pub fn bundle_info(&self, bundle: BundleHandle) -> Option<BundleInfo> {
        let b = self.bundles.get(&bundle.0)?;
        let k = bundle.0;
        Some(BundleInfo {
            peer: k.peer,
            service_id: k.service_id,
            security: (k.security_index, k.level),
            key: k.key,
            exclusive: k.exclusive != 0,
            upgrade: k.upgrade,
            conns: b.conns.map(|c| c.map(core::num::NonZeroU32::get)),
        })
    }

    /// The peer after `after` in address order (the first if `None`).
    pub fn next_peer(&mut self, after: Option<TransportAddr>) -> Option<TransportAddr> {
        self.peers.next_after(after.as_ref())
    }

    /// A snapshot of a peer.
    pub fn peer_info(&self, peer: TransportAddr) -> Option<PeerInfo> {
        let p = self.peers.get(&peer)?;
        Some(PeerInfo {
            addr: peer,
            conns: p.conns,
            srtt: p.rtt.srtt(),
            rto: p.rtt.rto(),
            ssthresh: INITIAL_SSTHRESH,
            mtu: p.if_mtu(MAX_PACKET as u32),
            last_tx: p.last_tx,
        })
    }

    /// The endpoint's packet counters since it was made.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The call a packet to or from `peer` is for (`sent`: one we send),
    /// if it is its channel's current call; for tracing.
    pub fn packet_call(&self, peer: TransportAddr, hdr: &Header, sent: bool) -> Option<CallHandle> {
        let client = hdr.flags.contains(Flags::CLIENT_INITIATED) == sent;
        let key = ConnKey::new(peer, client, hdr.epoch, hdr.cid & !CHANNEL_MASK);
        let ch = self.conns.get(&key)?.channels[(hdr.cid & CHANNEL_MASK) as usize];
        ch.call
            .filter(|_| hdr.call_number != 0 && ch.call_number == hdr.call_number)
    }

    /// Tells the caller's [`Env`] of connection `key`, just made (`new`)
    /// or about to be discarded.
    pub(crate) fn conn_changed(&mut self, key: ConnKey, new: bool) {
        if let Some(info) = self.conn_info(ConnHandle(key)) {
            self.env.conn_changed(&info, new);
        }
    }
}
