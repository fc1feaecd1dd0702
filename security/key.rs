//! The key types: what a client or server key holds once instantiated.
//!
//! `ffi::key` registers the types and hands payloads in here; the parsing
//! itself is in [`super::token`], which the host crate tests.

use kernel::prelude::*;

use super::token::{self, TokenError};
use crate::ffi::{bindings, errno};

impl From<TokenError> for Error {
    fn from(e: TokenError) -> Self {
        errno(match e {
            TokenError::Invalid => bindings::EINVAL,
            TokenError::Rejected => bindings::EKEYREJECTED,
            TokenError::NotSupported => bindings::EPROTONOSUPPORT,
            TokenError::NoPackage => bindings::ENOPKG,
        })
    }
}

/// An rxkad token kept in a client key.
pub(crate) struct RxkadToken {
    /// AFS user id.
    pub(crate) vice_id: u32,
    /// Version of the server key that sealed the ticket.
    pub(crate) kvno: u32,
    /// DES session key.
    pub(crate) session_key: [u8; 8],
    /// Start of validity, seconds since the epoch.
    pub(crate) start: u32,
    /// End of validity, seconds since the epoch.
    pub(crate) expiry: u32,
    /// Whether this is the token of the user's primary cell.
    pub(crate) primary: bool,
    /// The sealed ticket.
    pub(crate) ticket: KVec<u8>,
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
            let mut ticket = KVec::with_capacity(t.ticket.len(), GFP_KERNEL)?;
            ticket.extend_from_slice(t.ticket, GFP_KERNEL)?;
            tokens.push(
                RxkadToken {
                    vice_id: t.vice_id,
                    kvno: t.kvno,
                    session_key: t.session_key,
                    start: t.start,
                    expiry: t.expiry,
                    primary: t.primary,
                    ticket,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Some((KBox::new(Self { tokens }, GFP_KERNEL)?, expiry)))
    }

    /// `keyctl read`: the XDR token form, only for "afs@<cell>" keys
    /// (the form kAFS and aklog exchange). Returns the size needed.
    pub(crate) fn read(this: Option<&Self>, desc: &[u8], out: &mut [u8]) -> Result<usize> {
        let cell = desc.strip_prefix(b"afs@").ok_or(errno(bindings::EOPNOTSUPP))?;
        let tokens = this.into_iter().flat_map(|k| k.tokens.iter()).map(|t| token::RxkadToken {
            vice_id: t.vice_id,
            kvno: t.kvno,
            session_key: t.session_key,
            start: t.start,
            expiry: t.expiry,
            primary: t.primary,
            ticket: &t.ticket,
        });
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
#[expect(dead_code, reason = "read by rxkad's RESPONSE check, which comes with the rxkad issue")]
pub(crate) struct ServerKey {
    /// The service and security class, from the description.
    pub(crate) name: token::ServerKeyName,
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
        Ok(KBox::new(Self { name, secret }, GFP_KERNEL)?)
    }
}
