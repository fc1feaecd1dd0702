//! The AF_RXRPC socket API: the [`Family`] that `kapi::net::family`
//! registers. States, transitions and errnos follow the C module
//! (`RXRPC_UNBOUND` ... `RXRPC_CLOSE`).

pub(crate) mod addr;
pub(crate) mod cmsg;
pub(crate) mod endpoint;
pub(crate) mod env;
pub(crate) mod kernel_api;
pub(crate) mod proc;
pub(crate) mod recvmsg;
pub(crate) mod registry;
pub(crate) mod sendmsg;
pub(crate) mod sysctl;
pub(crate) mod tags;
pub(crate) mod trace;
pub(crate) mod uapi;

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::kapi::errno::{EADDRINUSE, EADDRNOTAVAIL, EBADSLT, EISCONN, ENOPROTOOPT, EOPNOTSUPP};
use crate::kapi::errno::{EPROTONOSUPPORT, ESHUTDOWN, ESOCKTNOSUPPORT};
use crate::kapi::key_type::{Key, Keyring};
use crate::kapi::net::af_rxrpc::AppOps;
use crate::kapi::net::family::{self, Family, FamilyTables, OptOut, OptValue};
use crate::kapi::net::msg::Msg;
use crate::kapi::net::{poll, NetNs, AF_INET, AF_INET6, SHUT_RDWR, SOCK_DGRAM};
use crate::proto::rxkad;
use crate::proto::{CallSecurity, ServiceConfig, TransportAddr};
use crate::security::key::RxrpcKey;
use addr::{RxrpcAddr, TransportFamily};
use cmsg::Command;
use endpoint::{Core, Local};
use registry::Registry;
use uapi::{opt, AF_RXRPC, SOL_RXRPC};

/// Highest control message type supported (`RXRPC_CHARGE_ACCEPT`), as
/// `getsockopt(RXRPC_SUPPORTED_CMSG)` reports it.
const SUPPORTED_CMSG: i32 = uapi::cmsg::CHARGE_ACCEPT as i32;

/// The AF_RXRPC protocol family.
pub(crate) struct RxrpcFamily;

static FAMILY: FamilyTables<RxrpcFamily> = FamilyTables::new();

/// A counted reference to an AF_RXRPC socket, for waking it.
pub(crate) type SockRef = family::SockRef<RxrpcFamily>;
/// An AF_RXRPC socket in a sendmsg, recvmsg or poll.
pub(crate) type SockCtx<'a> = family::SockCtx<'a, RxrpcFamily>;

#[vtable]
impl Family for RxrpcFamily {
    const FAMILY: u16 = AF_RXRPC;
    const NAME: &'static [u8] = b"RXRPC";
    type Shared = Arc<Registry>;
    type Sock = SockState;

    fn tables() -> &'static FamilyTables<Self> {
        &FAMILY
    }

    /// Checks `socket(AF_RXRPC, type, protocol)` as the C module does: the
    /// transport protocol is checked before the socket type.
    fn create(
        _: &Arc<Registry>,
        _: NetNs,
        sock_type: i32,
        protocol: i32,
        kern: bool,
    ) -> Result<SockState> {
        let family = match u16::try_from(protocol) {
            Ok(AF_INET) => TransportFamily::Inet,
            Ok(AF_INET6) => TransportFamily::Inet6,
            _ => return Err(EPROTONOSUPPORT.into()),
        };
        if sock_type != i32::from(SOCK_DGRAM) {
            return Err(ESOCKTNOSUPPORT.into());
        }
        Ok(SockState::new(family, kern))
    }

    fn release(registry: &Arc<Registry>, sock: &mut SockState, me: &SockRef) {
        sock.release(registry, me.id());
    }

    fn bind(registry: &Arc<Registry>, sk: &mut family::Locked<'_, Self>, addr: &[u8]) -> Result {
        let (net, me) = (sk.net(), sk.sock_ref());
        sk.state().bind(registry, net, me, addr)
    }

    fn connect(
        _: &Arc<Registry>,
        sk: &mut family::Locked<'_, Self>,
        addr: &[u8],
        _flags: i32,
    ) -> Result {
        sk.state().connect(addr)
    }

    fn listen(_: &Arc<Registry>, sk: &mut family::Locked<'_, Self>, backlog: i32) -> Result {
        let id = sk.id();
        sk.state().listen(backlog, id)
    }

    fn shutdown(_: &Arc<Registry>, sk: &mut family::Locked<'_, Self>, how: i32) -> Result {
        sk.state().shutdown(how)?;
        sk.set_shutdown_all();
        Ok(())
    }

    fn setsockopt(
        _: &Arc<Registry>,
        sk: &mut family::Locked<'_, Self>,
        level: i32,
        name: i32,
        value: OptValue,
    ) -> Result {
        if level != SOL_RXRPC {
            return Err(EOPNOTSUPP.into());
        }
        let net = sk.net();
        sk.state().setsockopt(net, name, value)
    }

    /// Only `RXRPC_SUPPORTED_CMSG`.
    fn getsockopt(_: &Arc<Registry>, level: i32, name: i32, out: OptOut) -> Result {
        if level != SOL_RXRPC || name != opt::SUPPORTED_CMSG {
            return Err(EOPNOTSUPP.into());
        }
        out.put_int(SUPPORTED_CMSG)
    }

    fn sendmsg(
        registry: &Arc<Registry>,
        ctx: &SockCtx<'_>,
        msg: &mut Msg,
        len: usize,
    ) -> Result<usize> {
        sendmsg::sendmsg(registry, ctx, msg, len)
    }

    fn recvmsg(
        _: &Arc<Registry>,
        ctx: &SockCtx<'_>,
        msg: &mut Msg,
        len: usize,
        flags: u32,
    ) -> Result<usize> {
        recvmsg::recvmsg(ctx, msg, len, flags)
    }

    /// Readable when notices wait; writable while the send buffer has room.
    fn poll(_: &Arc<Registry>, ctx: &SockCtx<'_>) -> u32 {
        let mut mask = 0;
        if sendmsg::writable(ctx) {
            mask |= poll::OUT | poll::WRNORM;
        }
        if ctx.pending() > 0 {
            mask |= poll::IN | poll::RDNORM;
        }
        mask
    }
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
    family: TransportFamily,
    phase: Phase,
    local: Option<Arc<Local>>,
    bound: Option<RxrpcAddr>,
    second_service: u16,
    connected: Option<RxrpcAddr>,
    exclusive: bool,
    min_security_level: u32,
    upgrade: Option<(u16, u16)>,
    key: Option<Key<RxrpcKey>>,
    keyring: Option<Keyring>,
    /// Made by the kernel (`sock_create_kern`): as in 6.12, a listening
    /// kernel socket takes only charged calls.
    kern: bool,
    /// A kernel user's operations for incoming calls.
    app_ops: Option<AppOps>,
}

impl SockState {
    /// A fresh socket of `family`.
    fn new(family: TransportFamily, kern: bool) -> Self {
        Self {
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
            kern,
            app_ops: None,
        }
    }

    /// `close()`: ends the socket's calls and gives the endpoint back.
    /// Runs in process context, so the last user of an endpoint can close
    /// it here.
    fn release(&mut self, registry: &Registry, sock: usize) {
        self.phase = Phase::Closed;
        if let Some(local) = self.local.take() {
            local.detach(sock);
            registry.unuse_local(local);
        }
        self.key = None;
        self.keyring = None;
    }

    /// `bind()`: a service id makes a server socket; a second bind may add
    /// a second service on the same address.
    fn bind(&mut self, registry: &Registry, net: NetNs, sock: SockRef, raw: &[u8]) -> Result {
        let srx = RxrpcAddr::parse(raw, self.family)?;
        match self.phase {
            Phase::Unbound => {
                let service = srx.service != 0;
                let local = use_local(
                    registry,
                    net,
                    sock,
                    srx.transport,
                    service,
                    self.kern,
                    self.app_ops,
                )?;
                self.local = Some(local);
                self.bound = Some(srx);
                self.phase = if service {
                    Phase::ServerBound
                } else {
                    Phase::ClientBound
                };
                Ok(())
            }
            Phase::ServerBound => {
                let first = self.bound.ok_or(EINVAL)?;
                if srx.service == 0 {
                    return Err(EINVAL);
                }
                if srx.service == first.service {
                    return Err(EADDRINUSE.into());
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
        registry: &Registry,
        net: NetNs,
        sock: impl FnOnce() -> SockRef,
        command: Command,
    ) -> Result<(Arc<Local>, TransportFamily, Option<RxrpcAddr>, bool)> {
        // The states in which the C module takes a sendmsg at all.
        let client = match self.phase {
            Phase::Unbound | Phase::ClientUnbound | Phase::ClientBound => true,
            Phase::ServerBound | Phase::Listening => false,
            _ => return Err(EINVAL),
        };
        if matches!(command, Command::ChargeAccept | Command::Accept)
            && self.phase != Phase::Listening
        {
            return Err(EINVAL);
        }
        let local = match &self.local {
            Some(local) => local.clone(),
            None if command != Command::SendData => return Err(EBADSLT.into()),
            None => {
                let any = match self.family {
                    TransportFamily::Inet => TransportAddr::V4([0; 4], 0),
                    TransportFamily::Inet6 => TransportAddr::V6([0; 16], 0),
                };
                let local = use_local(registry, net, sock(), any, false, self.kern, self.app_ops)?;
                self.local = Some(local.clone());
                self.phase = Phase::ClientBound;
                local
            }
        };
        // Only a client socket calls its connect() destination by default.
        let connected = if client { self.connected } else { None };
        Ok((local, self.family, connected, self.exclusive))
    }

    /// What security the socket's new client calls ask for: its key at
    /// its minimum level.
    pub(crate) fn call_key(&self) -> CallKey {
        CallKey::new(self.key.clone(), self.min_security_level)
    }

    /// `connect()`: only sets the default destination of calls.
    fn connect(&mut self, raw: &[u8]) -> Result {
        let srx = RxrpcAddr::parse(raw, self.family)?;
        if self.connected.is_some() {
            return Err(EISCONN.into());
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
    fn listen(&mut self, backlog: i32, sock: usize) -> Result {
        match self.phase {
            Phase::Unbound => Err(EADDRNOTAVAIL.into()),
            Phase::ServerBound | Phase::ServerBound2 => {
                let max = sysctl::MAX_BACKLOG.get() as i32;
                let backlog = if backlog == i32::MAX { max } else { backlog };
                if !(0..=max).contains(&backlog) {
                    return Err(EINVAL);
                }
                self.configure_service(backlog as u32)?;
                self.phase = Phase::Listening;
                Ok(())
            }
            Phase::Listening if backlog == 0 => {
                // New calls are refused (RX_INVALID_OPERATION) from now on,
                // and a kernel user's unused charges are given back.
                let local = self.local.as_ref().ok_or(EINVAL)?;
                local.listen(ServiceConfig::default())?;
                local.discard_charges(sock);
                self.phase = Phase::ListenDisabled;
                Ok(())
            }
            _ => Err(EBUSY),
        }
    }

    /// Gives the engine this socket's services, backlog and keyring.
    fn configure_service(&self, backlog: u32) -> Result {
        let local = self.local.as_ref().ok_or(EINVAL)?;
        let keyring = match &self.keyring {
            Some(ring) => local.lock().ep.security_mut().host.keyring_tag(ring)?,
            None => 0,
        };
        local.listen(ServiceConfig {
            keyring,
            service_ids: [self.bound.map_or(0, |b| b.service), self.second_service],
            upgrade: self.upgrade,
            backlog,
            // Both accept models for programs: a charged user id takes a
            // call at once, otherwise it waits in the backlog for
            // RXRPC_ACCEPT. Kernel users charge only, as in 6.12.
            charge_only: self.kern,
            min_security_level: self.min_security_level,
            ..ServiceConfig::default()
        })
    }

    /// `shutdown()`: only both directions at once, and only once.
    fn shutdown(&mut self, how: i32) -> Result {
        if how != SHUT_RDWR {
            return Err(EOPNOTSUPP.into());
        }
        if self.phase == Phase::Closed {
            return Err(ESHUTDOWN.into());
        }
        self.phase = Phase::Closed;
        Ok(())
    }

    /// `RXRPC_MIN_SECURITY_LEVEL`, only before bind.
    fn set_min_security_level(&mut self, level: u32) -> Result {
        if self.phase != Phase::Unbound {
            return Err(EISCONN.into());
        }
        if level > uapi::SECURITY_ENCRYPT {
            return Err(EINVAL);
        }
        self.min_security_level = level;
        Ok(())
    }

    /// A kernel user's keyring of server keys, only once and before bind.
    fn set_keyring(&mut self, keyring: Keyring) -> Result {
        if self.keyring.is_some() {
            return Err(EINVAL);
        }
        if self.phase != Phase::Unbound {
            return Err(EISCONN.into());
        }
        self.keyring = Some(keyring);
        Ok(())
    }

    /// `setsockopt(SOL_RXRPC, ...)`.
    fn setsockopt(&mut self, net: NetNs, name: i32, value: OptValue) -> Result {
        let unbound = self.phase == Phase::Unbound;
        let optlen = value.len();
        match name {
            opt::EXCLUSIVE_CONNECTION => {
                if optlen != 0 {
                    return Err(EINVAL);
                }
                if !unbound {
                    return Err(EISCONN.into());
                }
                self.exclusive = true;
                Ok(())
            }
            opt::SECURITY_KEY | opt::SECURITY_KEYRING => {
                if !unbound {
                    return Err(EISCONN.into());
                }
                let keyring = name == opt::SECURITY_KEYRING;
                let set = if keyring {
                    self.keyring.is_some()
                } else {
                    self.key.is_some()
                };
                if optlen == 0 || optlen >= kernel::page::PAGE_SIZE || set {
                    return Err(EINVAL);
                }
                let mut desc = KVec::with_capacity(optlen + 1, GFP_KERNEL)?;
                desc.extend_with(optlen + 1, 0, GFP_KERNEL)?;
                value.read(&mut desc[..optlen])?;
                // A NUL inside the value ends the description, as in C.
                let end = desc.iter().position(|&c| c == 0).unwrap_or(optlen);
                let desc =
                    core::ffi::CStr::from_bytes_with_nul(&desc[..=end]).map_err(|_| EINVAL)?;
                if keyring {
                    self.keyring = Some(Keyring::request(desc)?);
                } else {
                    self.key = Some(Key::request(desc, net)?);
                }
                Ok(())
            }
            opt::MIN_SECURITY_LEVEL => {
                if optlen != 4 {
                    return Err(EINVAL);
                }
                if !unbound {
                    return Err(EISCONN.into());
                }
                let mut v = [0; 4];
                value.read(&mut v)?;
                self.set_min_security_level(u32::from_ne_bytes(v))
            }
            opt::UPGRADEABLE_SERVICE => {
                if optlen != 4 || self.upgrade.is_some() {
                    return Err(EINVAL);
                }
                if self.phase != Phase::ServerBound2 {
                    return Err(EISCONN.into());
                }
                let mut v = [0; 4];
                value.read(&mut v)?;
                let pair = (
                    u16::from_ne_bytes([v[0], v[1]]),
                    u16::from_ne_bytes([v[2], v[3]]),
                );
                let first = self.bound.map_or(0, |b| b.service);
                if pair != (first, self.second_service) && pair != (self.second_service, first) {
                    return Err(EINVAL);
                }
                self.upgrade = Some(pair);
                Ok(())
            }
            // The C module answers 0 to unknown options (and to every
            // other level); a caller should learn its option did nothing.
            _ => Err(ENOPROTOOPT.into()),
        }
    }
}

/// The key a client call secures itself with, and at what level.
pub(crate) struct CallKey {
    key: Option<Key<RxrpcKey>>,
    level: u32,
}

impl CallKey {
    /// `key` at `level`.
    pub(crate) fn new(key: Option<Key<RxrpcKey>>, level: u32) -> Self {
        Self { key, level }
    }

    /// The call's security in the engine: rxkad at the level if the key
    /// holds a token, none otherwise (as in C: no key or an empty one is
    /// no security, whatever the minimum level).
    pub(crate) fn security(&self, core: &mut Core) -> Result<CallSecurity> {
        match &self.key {
            Some(key) if key.payload().is_some() => Ok(CallSecurity {
                index: rxkad::INDEX,
                level: self.level,
                key: core.ep.security_mut().host.client_tag(key)?,
            }),
            _ => Ok(CallSecurity::default()),
        }
    }
}

/// Takes an endpoint from the registry and attaches socket `sock` to it.
fn use_local(
    registry: &Registry,
    net: NetNs,
    sock: SockRef,
    addr: TransportAddr,
    service: bool,
    kern: bool,
    app_ops: Option<AppOps>,
) -> Result<Arc<Local>> {
    let local = registry.use_local(net, addr, service)?;
    if let Err(e) = local.attach(sock, service, kern, app_ops) {
        registry.unuse_local(local);
        return Err(e);
    }
    Ok(local)
}
