//! The key types "rxrpc" and "rxrpc_s": what a client or server key holds
//! once instantiated. The parsing itself is in [`super::token`], which the
//! host crate tests.

use core::ffi::CStr;

use kernel::prelude::*;

use super::token::{self, TokenError};
use crate::kapi::errno::{EKEYREJECTED, ENOPKG, EOPNOTSUPP, EPROTONOSUPPORT};
use crate::kapi::key_type::{KeyType, KeyTypeTable, Preparsed};
use crate::kapi::seq_file::SeqFile;

impl From<TokenError> for Error {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Invalid => EINVAL,
            TokenError::Rejected => EKEYREJECTED.into(),
            TokenError::NotSupported => EPROTONOSUPPORT.into(),
            TokenError::NoPackage => ENOPKG.into(),
        }
    }
}

/// The "rxrpc" key type: a client's tokens (none: no security).
pub(crate) struct RxrpcKey;

static RXRPC: KeyTypeTable<RxrpcKey> = KeyTypeTable::new();

#[vtable]
impl KeyType for RxrpcKey {
    const NAME: &'static CStr = c"rxrpc";
    const NET_DOMAIN: bool = true;
    type Payload = ClientKey;

    fn tables() -> &'static KeyTypeTable<Self> {
        &RXRPC
    }

    fn preparse(_desc: &[u8], data: &[u8]) -> Result<Preparsed<ClientKey>> {
        Ok(match ClientKey::parse(data)? {
            None => Preparsed {
                payload: None,
                quota: 0,
                expiry: None,
            },
            Some((key, expiry)) => Preparsed {
                payload: Some(key),
                quota: data.len(),
                expiry: Some(expiry.into()),
            },
        })
    }

    /// The description, then a word per token.
    fn describe(desc: &[u8], payload: Option<&ClientKey>, seq: &mut SeqFile<'_>) {
        seq.write_bytes(desc);
        if let Some(key) = payload {
            key.describe(|b| seq.write_bytes(b));
        }
    }

    fn read(desc: &[u8], payload: Option<&ClientKey>, out: &mut [u8]) -> Result<usize> {
        ClientKey::read(payload, desc, out)
    }
}

/// The "rxrpc_s" key type: a service's secret, described
/// "<service>:<security class>".
pub(crate) struct RxrpcServerKey;

static RXRPC_S: KeyTypeTable<RxrpcServerKey> = KeyTypeTable::new();

#[vtable]
impl KeyType for RxrpcServerKey {
    const NAME: &'static CStr = c"rxrpc_s";
    const NET_DOMAIN: bool = true;
    type Payload = ServerKey;

    fn tables() -> &'static KeyTypeTable<Self> {
        &RXRPC_S
    }

    fn preparse(desc: &[u8], data: &[u8]) -> Result<Preparsed<ServerKey>> {
        if desc.is_empty() {
            return Err(EINVAL);
        }
        Ok(Preparsed {
            payload: Some(ServerKey::parse(desc, data)?),
            quota: data.len(),
            expiry: None,
        })
    }

    fn vet_description(desc: &[u8]) -> Result {
        ServerKey::vet_description(desc)
    }
}

/// An rxkad token kept in a client key: the parsed fields, with the
/// ticket copied out of the caller's payload.
pub(crate) struct RxkadToken {
    /// Everything but the ticket (whose slice here is empty).
    head: token::RxkadToken<'static>,
    /// The sealed ticket.
    ticket: KVec<u8>,
}

impl RxkadToken {
    fn new(t: &token::RxkadToken<'_>) -> Result<Self> {
        let mut ticket = KVec::with_capacity(t.ticket.len(), GFP_KERNEL)?;
        ticket.extend_from_slice(t.ticket, GFP_KERNEL)?;
        Ok(Self {
            head: token::RxkadToken { ticket: &[], ..*t },
            ticket,
        })
    }

    /// The token with its ticket, as the parser and encoder see it.
    pub(crate) fn view(&self) -> token::RxkadToken<'_> {
        token::RxkadToken {
            ticket: &self.ticket,
            ..self.head
        }
    }
}

/// The payload of an instantiated "rxrpc" key with at least one token.
pub(crate) struct ClientKey {
    /// Tokens in payload order.
    pub(crate) tokens: KVec<RxkadToken>,
}

impl ClientKey {
    /// Parses an "rxrpc" payload. `Ok(None)` is the no-security key.
    pub(crate) fn parse(data: &[u8]) -> Result<Option<(KBox<Self>, u32)>> {
        let parsed = token::parse_client_key(data)?;
        let Some(expiry) = parsed.expiry() else {
            return Ok(None);
        };
        let mut tokens = KVec::new();
        for t in parsed.tokens() {
            tokens.push(RxkadToken::new(t)?, GFP_KERNEL)?;
        }
        Ok(Some((KBox::new(Self { tokens }, GFP_KERNEL)?, expiry)))
    }

    /// `keyctl read`: the XDR token form, only for "afs@<cell>" keys
    /// (the form kAFS and aklog exchange). Returns the size needed.
    pub(crate) fn read(this: Option<&Self>, desc: &[u8], out: &mut [u8]) -> Result<usize> {
        let cell = desc.strip_prefix(b"afs@").ok_or(EOPNOTSUPP)?;
        let tokens = this
            .into_iter()
            .flat_map(|k| k.tokens.iter())
            .map(RxkadToken::view);
        Ok(token::encode_xdr(cell, tokens, out))
    }

    /// What `/proc/keys` shows after the description: a word per token.
    pub(crate) fn describe(&self, mut put: impl FnMut(&[u8])) {
        for (i, _) in self.tokens.iter().enumerate() {
            put(if i == 0 { b": ka" } else { b" ka" });
        }
    }
}

/// The payload of an "rxrpc_s" key: a service's secret.
pub(crate) struct ServerKey {
    /// The rxkad DES key.
    pub(crate) secret: [u8; 8],
}

impl ServerKey {
    /// Checks an "rxrpc_s" description.
    pub(crate) fn vet_description(desc: &[u8]) -> Result {
        token::parse_server_key_name(desc)?;
        Ok(())
    }

    /// Parses an "rxrpc_s" payload for the key named `desc`.
    pub(crate) fn parse(desc: &[u8], data: &[u8]) -> Result<KBox<Self>> {
        let name = token::parse_server_key_name(desc)?;
        let secret = *token::parse_server_key(&name, data)?;
        Ok(KBox::new(Self { secret }, GFP_KERNEL)?)
    }
}
