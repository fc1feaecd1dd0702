//! sendmsg control messages: what they ask for, checked with the C
//! module's rules and errnos, plus `RXRPC_ACCEPT` of the AF_RXRPC document.

use core::time::Duration;

use kernel::prelude::*;

use super::uapi::{cmsg as kind, SOL_RXRPC};
use crate::kapi::net::msg::Msg;
use crate::kapi::HZ;
use crate::proto::Timeouts;

/// What a sendmsg does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Send data on a call (making a client call if the id is new).
    SendData,
    /// Abort the call with this code (`RXRPC_ABORT`).
    Abort(u32),
    /// Give the next incoming call this id (`RXRPC_CHARGE_ACCEPT`).
    ChargeAccept,
    /// Give the oldest waiting incoming call this id (`RXRPC_ACCEPT`).
    Accept,
}

/// The parsed control data of one sendmsg.
pub(crate) struct SendParams {
    /// `RXRPC_USER_CALL_ID`.
    pub(crate) user_id: u64,
    /// What to do.
    pub(crate) command: Command,
    /// `RXRPC_EXCLUSIVE_CALL`: a connection of its own.
    pub(crate) exclusive: bool,
    /// `RXRPC_UPGRADE_SERVICE`: probe for a service upgrade.
    pub(crate) upgrade: bool,
    /// `RXRPC_TX_LENGTH`: the exact total the call will send.
    pub(crate) tx_length: Option<u64>,
    /// `RXRPC_SET_CALL_TIMEOUT`: hard (s), idle (ms), normal (ms).
    pub(crate) timeouts: Option<CallTimeouts>,
}

/// The timeouts a `RXRPC_SET_CALL_TIMEOUT` gives; `None` for one it leaves
/// out or gives as 0, which keeps the call's own.
#[derive(Clone, Copy)]
pub(crate) struct CallTimeouts {
    /// Total life of the call.
    pub(crate) hard: Option<Duration>,
    /// Longest silence from the peer.
    pub(crate) idle: Option<Duration>,
    /// Longest time without progress.
    pub(crate) normal: Option<Duration>,
}

impl CallTimeouts {
    /// The timeouts of a new call: these, and the defaults for the rest.
    pub(crate) fn for_new_call(this: Option<Self>) -> Timeouts {
        let d = Timeouts::default();
        match this {
            Some(t) => Timeouts {
                hard: t.hard.or(d.hard),
                idle: t.idle.or(d.idle),
                normal: t.normal.or(d.normal),
            },
            None => d,
        }
    }
}

/// Longest idle or normal timeout accepted: one hour, in ms.
const MAX_TIMEOUT_MS: u32 = 60 * 60 * 1000;

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Reads `msg`'s control messages. Messages of other levels are ignored.
pub(crate) fn parse(msg: &Msg) -> Result<SendParams> {
    let mut p = SendParams {
        user_id: 0,
        command: Command::SendData,
        exclusive: false,
        upgrade: false,
        tx_length: None,
        timeouts: None,
    };
    let mut got_id = false;
    let compat = msg.is_compat();
    msg.for_each_cmsg(|c| {
        if c.level != SOL_RXRPC {
            return Ok(());
        }
        let d = c.data;
        let command = |p: &mut SendParams, cmd: Command| {
            if p.command != Command::SendData {
                return Err(EINVAL);
            }
            p.command = cmd;
            Ok(())
        };
        match u32::try_from(c.kind).map_err(|_| EINVAL)? {
            // An `unsigned long`: 4 bytes from a 32-bit program.
            kind::USER_CALL_ID if compat => {
                let id: [u8; 4] = d.try_into().map_err(|_| EINVAL)?;
                p.user_id = u32::from_ne_bytes(id).into();
                got_id = true;
            }
            kind::USER_CALL_ID => {
                let id: [u8; 8] = d.try_into().map_err(|_| EINVAL)?;
                p.user_id = u64::from_ne_bytes(id);
                got_id = true;
            }
            kind::ABORT => {
                // A wrong length and a zero code are both EINVAL.
                let code = if d.len() == 4 { u32_at(d, 0) } else { 0 };
                command(&mut p, Command::Abort(code))?;
                if code == 0 {
                    return Err(EINVAL);
                }
            }
            kind::CHARGE_ACCEPT | kind::ACCEPT => {
                let accept = c.kind == kind::ACCEPT as i32;
                command(
                    &mut p,
                    if accept {
                        Command::Accept
                    } else {
                        Command::ChargeAccept
                    },
                )?;
                if !d.is_empty() {
                    return Err(EINVAL);
                }
            }
            kind::EXCLUSIVE_CALL | kind::UPGRADE_SERVICE => {
                if c.kind == kind::EXCLUSIVE_CALL as i32 {
                    p.exclusive = true;
                } else {
                    p.upgrade = true;
                }
                if !d.is_empty() {
                    return Err(EINVAL);
                }
            }
            kind::TX_LENGTH => {
                let len: [u8; 8] = d.try_into().map_err(|_| EINVAL)?;
                if p.tx_length.is_some() {
                    return Err(EINVAL);
                }
                p.tx_length = Some(u64::try_from(i64::from_ne_bytes(len)).map_err(|_| EINVAL)?);
            }
            kind::SET_CALL_TIMEOUT => {
                if d.len() % 4 != 0 || d.is_empty() || d.len() > 12 {
                    return Err(EINVAL);
                }
                let n = d.len() / 4;
                let hard = u32_at(d, 0);
                let idle = if n >= 2 { u32_at(d, 4) } else { 0 };
                let normal = if n >= 3 { u32_at(d, 8) } else { 0 };
                if hard > i32::MAX as u32 / HZ || idle > MAX_TIMEOUT_MS || normal > MAX_TIMEOUT_MS {
                    return Err(ERANGE);
                }
                let given = |v: u32, d: Duration| (v != 0).then_some(d);
                p.timeouts = Some(CallTimeouts {
                    hard: given(hard, Duration::from_secs(hard.into())),
                    idle: given(idle, Duration::from_millis(idle.into())),
                    normal: given(normal, Duration::from_millis(normal.into())),
                });
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    })?;
    if !got_id || (p.tx_length.is_some() && p.command != Command::SendData) {
        return Err(EINVAL);
    }
    Ok(p)
}

/// Adds an `SOL_RXRPC` control message to a recvmsg.
pub(crate) fn put(msg: &mut Msg, kind: u32, data: &[u8]) -> Result {
    msg.put_cmsg(SOL_RXRPC, kind, data)
}

/// `RXRPC_USER_CALL_ID` for a recvmsg, as the caller's `unsigned long`
/// (a 32-bit program gets the low half, as from the C module).
pub(crate) fn put_user_id(msg: &mut Msg, id: u64) -> Result {
    if msg.is_compat() {
        put(msg, kind::USER_CALL_ID, &(id as u32).to_ne_bytes())
    } else {
        put(msg, kind::USER_CALL_ID, &id.to_ne_bytes())
    }
}
