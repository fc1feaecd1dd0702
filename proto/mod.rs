//! The RxRPC protocol engine, sans I/O.
//!
//! Pure safe Rust shared verbatim by the kernel module and the host crate:
//! no `kernel` crate, no heap, no clock and no socket. The caller passes in
//! `now`, received packets and data to send, and drains packets to transmit,
//! events and the next deadline. Files refer to each other with `super::`
//! only, never `crate::`, because the crate root differs between the builds.
//!
//! # How to drive the engine
//!
//! One [`Endpoint`] stands for one UDP socket (an RxRPC local endpoint). It
//! is generic over an [`Env`] that supplies memory (packet buffers and
//! ordered maps, all fallible) and a [`Security`] hook ([`NullSecurity`] for
//! security index 0). Times are [`Instant`]s (nanoseconds) from the caller's
//! clock; random numbers (the epoch, the first connection id) come in
//! through [`Config`].
//!
//! Inputs, each followed by draining the outputs:
//! - [`Endpoint::handle_datagram`] for every received UDP payload (it
//!   says why, if it dropped it: [`RxDrop`]), and
//!   [`Endpoint::handle_icmp`] for ICMP errors about a peer;
//! - [`Endpoint::set_tunables`] when a run-time setting changes;
//! - client calls: [`Endpoint::begin_call`], then [`Endpoint::send`] (it
//!   takes what fits and returns the count: block and retry on
//!   [`Event::TxSpace`]; `more = false` ends the request; a write that
//!   was not taken whole has not ended it), then [`Endpoint::recv`] on
//!   [`Event::DataReady`] until [`RecvResult::end_of_data`];
//! - service calls: [`Endpoint::listen`] with a [`ServiceConfig`], then
//!   either [`Endpoint::charge`] user tags ahead of time (CHARGE_ACCEPT;
//!   set [`ServiceConfig::charge_only`] for the Linux 6.12 behaviour) or
//!   [`Endpoint::accept_next`] after [`Event::NewCall`] (NEW_CALL/ACCEPT);
//!   read the request with `recv`, then write the reply with `send`;
//! - [`Endpoint::abort`] at any time, and [`Endpoint::release`] when the
//!   user is done with a call (after [`Event::Complete`], or to abort it):
//!   the engine keeps a call, its data and its user tag until then;
//! - [`Endpoint::handle_timeout`] when the deadline from
//!   [`Endpoint::poll_timeout`] passes.
//!
//! Data received before the call completed stays readable after
//! [`Event::Complete`] with [`Outcome::Succeeded`]: the glue reads it, and
//! reports the terminal message (MSG_EOR) after the last byte.
//! The engine keeps no clock of its own and never blocks; everything it
//! holds is freed by time (idle connections and peers expire) once every
//! call is released.
//!
//! Outputs, drained after every input until they return `None`:
//! [`Endpoint::poll_transmit`] (packets to send, into a buffer of at least
//! [`MAX_PACKET`] bytes; [`Endpoint::poll_transmit_burst`] the same in
//! pieces, DATA payloads borrowed from the engine rather than copied, and
//! several datagrams at a time where they can go as one UDP GSO packet),
//! [`Endpoint::poll_event`] (events for the user),
//! and [`Endpoint::poll_timeout`] (when to call back).
#![forbid(unsafe_code)]

pub mod rxkad;
pub mod wire;

mod aborted;
mod accept;
mod addr;
mod bundle;
mod call;
mod calls;
mod channel;
mod congestion;
mod conn;
mod conn_client;
mod conns;
mod counters;
mod debug;
mod env;
mod error;
mod event;
mod info;
mod input;
mod local;
mod output;
mod peer;
mod ready;
mod reap;
mod received;
mod ring;
mod rtt;
mod rxbuf;
mod security;
mod slab;
mod time;
mod timer;
mod tunables;
mod txbuf;

pub use accept::{ServiceConfig, MAX_BACKLOG};
pub use addr::TransportAddr;
pub use call::Timeouts;
pub use counters::{Counters, RxDrop, RxDrops, ACK_REASONS, RX_DROP_NAMES, RX_DROP_REASONS};
pub use env::{Env, Map, Slots};
pub use error::Error;
pub use event::{CallHandle, Event, Outcome};
pub use info::{BundleHandle, BundleInfo, ConnHandle, ConnInfo, PeerInfo};
pub use local::{CallInfo, CallParams, CallSecurity, Config, Endpoint, Stats};
pub use output::{Burst, Gather, MAX_DATAGRAM, MAX_PACKET, MAX_PARTS, SEAL_ROOM};
pub use received::{Received, MAX_PIECES};
pub use rxbuf::RecvResult;
pub use security::{
    Clear, ConnIdent, NullSecurity, PacketIdent, Sealed, Security, LEVEL_NOT_KNOWN, WIRE_PAYLOAD,
};
pub use time::Instant;
pub use tunables::Tunables;
pub use txbuf::{Resend, RESEND_REASONS};
