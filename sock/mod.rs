//! The AF_RXRPC socket API: the safe side of `proto_ops`.
//!
//! `ffi::socket` owns the kernel objects and calls in here with plain Rust
//! values and a locked socket. States, transitions and errnos follow the C
//! module (`RXRPC_UNBOUND` ... `RXRPC_CLOSE`).

pub(crate) mod addr;
pub(crate) mod call;
pub(crate) mod cmsg;
pub(crate) mod env;
pub(crate) mod local;
pub(crate) mod proc;

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::ffi::io::NetNs;
use crate::ffi::key::KeyRef;
use crate::ffi::socket::SockRef;
use crate::ffi::{bindings, errno};
use addr::{Family, RxrpcAddr};
use crate::proto::{ServiceConfig, TransportAddr};
use cmsg::Command;
use local::{Local, Registry};

/// Highest `RXRPC_MIN_SECURITY_LEVEL` (RXRPC_SECURITY_ENCRYPT).
const SECURITY_MAX: u32 = 2;
/// Highest control message type supported (`RXRPC_CHARGE_ACCEPT`), as
/// `getsockopt(RXRPC_SUPPORTED_CMSG)` reports it.
pub(crate) const SUPPORTED_CMSG: i32 = 14;

/// Checks `socket(AF_RXRPC, type, protocol)` as the C module does: the
/// transport protocol is checked before the socket type.
pub(crate) fn check_create(sock_type: i16, protocol: i32) -> Result<Family> {
    let family = match u32::try_from(protocol) {
        Ok(bindings::PF_INET) => Family::Inet,
        Ok(bindings::PF_INET6) => Family::Inet6,
        _ => return Err(errno(bindings::EPROTONOSUPPORT)),
    };
    if i32::from(sock_type) != bindings::sock_type_SOCK_DGRAM as i32 {
        return Err(errno(bindings::ESOCKTNOSUPPORT));
    }
    Ok(family)
}

/// Where a socket is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Fresh.
    Unbound,
    /// `connect()`ed but not yet bound: binds on the first call.
    ClientUnbound,
    /// Bound with service 0: a client.
    ClientBound,
    /// Bound with a service.
    ServerBound,
    /// Bound with a second service (for service upgrade).
    ServerBound2,
    /// Taking calls.
    Listening,
    /// `listen(0)` after listening: no new calls.
    ListenDisabled,
    /// Shut down or released.
    Closed,
}

/// The Rust part of every AF_RXRPC socket.
pub(crate) struct SockState {
    registry: &'static Registry,
    family: Family,
    phase: Phase,
    local: Option<Arc<Local>>,
    bound: Option<RxrpcAddr>,
    second_service: u16,
    connected: Option<RxrpcAddr>,
    exclusive: bool,
    min_security_level: u32,
    upgrade: Option<(u16, u16)>,
    key: Option<KeyRef>,
    keyring: Option<KeyRef>,
}

impl SockState {
    /// A fresh socket of `family`.
    pub(crate) fn new(registry: &'static Registry, family: Family) -> Self {
        Self {
            registry,
            family,
            phase: Phase::Unbound,
            local: None,
            bound: None,
            second_service: 0,
            connected: None,
            exclusive: false,
            min_security_level: 0,
            upgrade: None,
            key: None,
            keyring: None,
        }
    }

    /// `close()`: ends the socket's calls and gives the endpoint back.
    /// Runs in process context, so the last user of an endpoint can close
    /// it here.
    pub(crate) fn release(&mut self, sock: SockRef) {
        self.phase = Phase::Closed;
        if let Some(local) = self.local.take() {
            local.detach(sock);
            self.registry.unuse_local(local);
        }
        self.key = None;
        self.keyring = None;
    }

    /// `bind()`: a service id makes a server socket; a second bind may add
    /// a second service on the same address.
    pub(crate) fn bind(&mut self, net: NetNs, sock: SockRef, raw: &[u8]) -> Result {
        let srx = RxrpcAddr::parse(raw, self.family)?;
        match self.phase {
            Phase::Unbound => {
                let service = srx.service != 0;
                self.local = Some(self.use_local(net, sock, srx.transport, service)?);
                self.bound = Some(srx);
                self.phase = if service { Phase::ServerBound } else { Phase::ClientBound };
                Ok(())
            }
            Phase::ServerBound => {
                let first = self.bound.ok_or(EINVAL)?;
                if srx.service == 0 {
                    return Err(EINVAL);
                }
                if srx.service == first.service {
                    return Err(errno(bindings::EADDRINUSE));
                }
                if srx.transport != first.transport {
                    return Err(EINVAL);
                }
                self.second_service = srx.service;
                self.phase = Phase::ServerBound2;
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }

    /// Takes an endpoint from the registry and attaches this socket to it.
    fn use_local(&self, net: NetNs, sock: SockRef, addr: TransportAddr, service: bool) -> Result<Arc<Local>> {
        let local = self.registry.use_local(net, addr, service)?;
        if let Err(e) = local.attach(sock, service) {
            self.registry.unuse_local(local);
            return Err(e);
        }
        Ok(local)
    }

    /// The endpoint, once bound.
    pub(crate) fn local(&self) -> Option<Arc<Local>> {
        self.local.clone()
    }

    /// Whether incoming calls are being taken.
    pub(crate) fn listening(&self) -> bool {
        self.phase == Phase::Listening
    }

    /// Checks that `command` fits the socket's state and finds its
    /// endpoint, binding a client to any local address on its first call.
    /// Returns the endpoint, the family, the `connect()` destination and
    /// whether every call is exclusive.
    pub(crate) fn prepare_send(
        &mut self,
        net: NetNs,
        sock: SockRef,
        command: Command,
    ) -> Result<(Arc<Local>, Family, Option<RxrpcAddr>, bool)> {
        // The states in which the C module takes a sendmsg at all.
        let client = match self.phase {
            Phase::Unbound | Phase::ClientUnbound | Phase::ClientBound => true,
            Phase::ServerBound | Phase::Listening => false,
            _ => return Err(EINVAL),
        };
        if matches!(command, Command::ChargeAccept | Command::Accept) && self.phase != Phase::Listening {
            return Err(EINVAL);
        }
        let local = match &self.local {
            Some(local) => local.clone(),
            None if command != Command::SendData => return Err(errno(bindings::EBADSLT)),
            None => {
                let any = match self.family {
                    Family::Inet => TransportAddr::V4([0; 4], 0),
                    Family::Inet6 => TransportAddr::V6([0; 16], 0),
                };
                let local = self.use_local(net, sock, any, false)?;
                self.local = Some(local.clone());
                self.phase = Phase::ClientBound;
                local
            }
        };
        // Only a client socket calls its connect() destination by default.
        let connected = if client { self.connected } else { None };
        // No security class is built in yet: a call that asks for one
        // fails rather than going out unsecured (C: no class, EKEYREJECTED).
        if command == Command::SendData
            && (self.min_security_level > 0 || self.key.as_ref().is_some_and(|k| k.has_tokens()))
        {
            return Err(errno(bindings::EKEYREJECTED));
        }
        Ok((local, self.family, connected, self.exclusive))
    }

    /// `connect()`: only sets the default destination of calls.
    pub(crate) fn connect(&mut self, raw: &[u8]) -> Result {
        let srx = RxrpcAddr::parse(raw, self.family)?;
        if self.connected.is_some() {
            return Err(errno(bindings::EISCONN));
        }
        match self.phase {
            Phase::Unbound => self.phase = Phase::ClientUnbound,
            Phase::ClientUnbound | Phase::ClientBound => {}
            _ => return Err(EBUSY),
        }
        self.connected = Some(srx);
        Ok(())
    }

    /// `listen()`: the backlog bounds calls waiting to be taken; `listen(0)`
    /// on a listening socket stops taking calls.
    pub(crate) fn listen(&mut self, backlog: i32) -> Result {
        match self.phase {
            Phase::Unbound => Err(errno(bindings::EADDRNOTAVAIL)),
            Phase::ServerBound | Phase::ServerBound2 => {
                let max = crate::ffi::sysctl::max_backlog() as i32;
                let backlog = if backlog == i32::MAX { max } else { backlog };
                if !(0..=max).contains(&backlog) {
                    return Err(EINVAL);
                }
                self.configure_service(backlog as u32)?;
                self.phase = Phase::Listening;
                Ok(())
            }
            Phase::Listening if backlog == 0 => {
                // New calls are refused (RX_INVALID_OPERATION) from now on.
                self.local.as_ref().ok_or(EINVAL)?.listen(ServiceConfig::default())?;
                self.phase = Phase::ListenDisabled;
                Ok(())
            }
            _ => Err(EBUSY),
        }
    }

    /// Gives the engine this socket's services and backlog.
    fn configure_service(&self, backlog: u32) -> Result {
        let local = self.local.as_ref().ok_or(EINVAL)?;
        local.listen(ServiceConfig {
            service_ids: [self.bound.map_or(0, |b| b.service), self.second_service],
            upgrade: self.upgrade,
            backlog,
            // Both accept models: a charged user id takes a call at once,
            // otherwise it waits in the backlog for RXRPC_ACCEPT.
            charge_only: false,
            min_security_level: self.min_security_level,
            ..ServiceConfig::default()
        })
    }

    /// `shutdown()`: only both directions at once, and only once.
    pub(crate) fn shutdown(&mut self, how: i32) -> Result {
        if u32::try_from(how) != Ok(bindings::sock_shutdown_cmd_SHUT_RDWR) {
            return Err(errno(bindings::EOPNOTSUPP));
        }
        if self.phase == Phase::Closed {
            return Err(errno(bindings::ESHUTDOWN));
        }
        self.phase = Phase::Closed;
        Ok(())
    }

    /// `setsockopt(SOL_RXRPC, ...)`. `read` copies the option value in
    /// (`EFAULT` on a bad pointer); it is only called once `optlen` is
    /// known to be right.
    pub(crate) fn setsockopt(
        &mut self,
        net: NetNs,
        name: u32,
        optlen: usize,
        read: impl FnOnce(&mut [u8]) -> Result,
    ) -> Result {
        let unbound = self.phase == Phase::Unbound;
        match name {
            bindings::RXRPC_EXCLUSIVE_CONNECTION => {
                if optlen != 0 {
                    return Err(EINVAL);
                }
                if !unbound {
                    return Err(errno(bindings::EISCONN));
                }
                self.exclusive = true;
                Ok(())
            }
            bindings::RXRPC_SECURITY_KEY | bindings::RXRPC_SECURITY_KEYRING => {
                if !unbound {
                    return Err(errno(bindings::EISCONN));
                }
                let keyring = name == bindings::RXRPC_SECURITY_KEYRING;
                let slot = if keyring { &mut self.keyring } else { &mut self.key };
                if optlen == 0 || optlen >= kernel::page::PAGE_SIZE || slot.is_some() {
                    return Err(EINVAL);
                }
                let mut desc = KVec::with_capacity(optlen + 1, GFP_KERNEL)?;
                desc.extend_with(optlen + 1, 0, GFP_KERNEL)?;
                read(&mut desc[..optlen])?;
                // A NUL inside the value ends the description, as in C.
                let desc = CStr::from_bytes_with_nul(&desc[..=desc.iter().position(|&c| c == 0).unwrap_or(optlen)])
                    .map_err(|_| EINVAL)?;
                *slot = Some(KeyRef::request(desc, net, keyring)?);
                Ok(())
            }
            bindings::RXRPC_MIN_SECURITY_LEVEL => {
                if optlen != 4 {
                    return Err(EINVAL);
                }
                if !unbound {
                    return Err(errno(bindings::EISCONN));
                }
                let mut v = [0; 4];
                read(&mut v)?;
                let level = u32::from_ne_bytes(v);
                if level > SECURITY_MAX {
                    return Err(EINVAL);
                }
                self.min_security_level = level;
                Ok(())
            }
            bindings::RXRPC_UPGRADEABLE_SERVICE => {
                if optlen != 4 || self.upgrade.is_some() {
                    return Err(EINVAL);
                }
                if self.phase != Phase::ServerBound2 {
                    return Err(errno(bindings::EISCONN));
                }
                let mut v = [0; 4];
                read(&mut v)?;
                let pair = (u16::from_ne_bytes([v[0], v[1]]), u16::from_ne_bytes([v[2], v[3]]));
                let first = self.bound.map_or(0, |b| b.service);
                if pair != (first, self.second_service) && pair != (self.second_service, first) {
                    return Err(EINVAL);
                }
                self.upgrade = Some(pair);
                Ok(())
            }
            // The C module answers 0 to unknown options (and to every
            // other level); a caller should learn its option did nothing.
            _ => Err(errno(bindings::ENOPROTOOPT)),
        }
    }
}
