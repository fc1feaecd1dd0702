//! Parsers for the payloads of the "rxrpc" and "rxrpc_s" key types.
//!
//! Pure `core` code over byte slices, so that the host crate can test it
//! against the formats `add_key(2)` users produce: an empty payload (no
//! security), the v1 binary form written by klog-style tools, and the XDR
//! token form written by aklog and kafs-client.

/// Why a payload or description was refused; each maps to the errno the C
/// implementation returns for the same input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// `EINVAL`: malformed.
    Invalid,
    /// `EKEYREJECTED`: well formed but unacceptable.
    Rejected,
    /// `EPROTONOSUPPORT`: a security class we do not implement.
    NotSupported,
    /// `ENOPKG`: a server key for an unknown security class.
    NoPackage,
}

/// rxkad security index.
pub const RXKAD: u16 = 2;
/// Largest rxkad ticket accepted (AFSTOKEN_RK_TIX_MAX).
pub const TICKET_MAX: usize = 12000;
/// Most tokens in one XDR payload (AFSTOKEN_MAX).
pub const TOKENS_MAX: usize = 8;
const XDR_LENGTH_MAX: usize = 16384;
const XDR_CELL_MAX: usize = 64;
const V1_FIXED: usize = 2 + 2 + 4 + 4 + 8;

/// One rxkad token: the session key and the ticket sealed for the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxkadToken<'a> {
    /// AFS user id, as the token says (0 in the v1 form).
    pub vice_id: u32,
    /// Version number of the server key that sealed the ticket.
    pub kvno: u32,
    /// DES session key.
    pub session_key: [u8; 8],
    /// Start of validity, seconds since the epoch (0 in the v1 form).
    pub start: u32,
    /// End of validity, seconds since the epoch.
    pub expiry: u32,
    /// Whether this is the token of the user's primary cell.
    pub primary: bool,
    /// The sealed ticket, passed through to the server in RESPONSE.
    pub ticket: &'a [u8],
}

/// What a client key payload holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientKey<'a> {
    tokens: [Option<RxkadToken<'a>>; TOKENS_MAX],
}

impl<'a> ClientKey<'a> {
    /// The tokens, in payload order. None for a no-security key.
    pub fn tokens(&self) -> impl Iterator<Item = &RxkadToken<'a>> + Clone {
        self.tokens.iter().flatten()
    }

    /// The earliest expiry of any token.
    pub fn expiry(&self) -> Option<u32> {
        self.tokens().map(|t| t.expiry).min()
    }

    fn push(&mut self, token: RxkadToken<'a>) -> Result<(), TokenError> {
        let slot = self
            .tokens
            .iter_mut()
            .find(|t| t.is_none())
            .ok_or(TokenError::Rejected)?;
        *slot = Some(token);
        Ok(())
    }
}

fn be32(b: &[u8], word: usize) -> Option<u32> {
    let start = word.checked_mul(4)?;
    let bytes = b.get(start..start.checked_add(4)?)?;
    Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn padded(len: usize) -> Option<usize> {
    Some(len.checked_add(3)? & !3)
}

/// Parses the payload of an "rxrpc" key, as `add_key("rxrpc", ...)` gets it.
pub fn parse_client_key(data: &[u8]) -> Result<ClientKey<'_>, TokenError> {
    let mut key = ClientKey {
        tokens: [None; TOKENS_MAX],
    };
    if data.is_empty() {
        return Ok(key);
    }
    if data.len() > 7 * 4 {
        if let Some(result) = parse_xdr(data, &mut key) {
            return result.map(|()| key);
        }
    }
    parse_v1(data, &mut key).map(|()| key)
}

/// The v1 binary form: native-endian `u32` version 1, then
/// `{u16 security_index, u16 ticket_length, u32 expiry, u32 kvno,
/// u8 session_key[8], u8 ticket[]}`.
fn parse_v1<'a>(data: &'a [u8], key: &mut ClientKey<'a>) -> Result<(), TokenError> {
    if data.len() <= 4 {
        return Err(TokenError::Invalid);
    }
    let (version, v1) = data.split_at(4);
    if u32::from_ne_bytes([version[0], version[1], version[2], version[3]]) != 1 {
        return Err(TokenError::Rejected);
    }
    if v1.len() < V1_FIXED {
        return Err(TokenError::Invalid);
    }
    let (fixed, ticket) = v1.split_at(V1_FIXED);
    let u16_at = |i: usize| u16::from_ne_bytes([fixed[i], fixed[i + 1]]);
    let u32_at =
        |i: usize| u32::from_ne_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
    if usize::from(u16_at(2)) != ticket.len() {
        return Err(TokenError::Invalid);
    }
    if u16_at(0) != RXKAD {
        return Err(TokenError::NotSupported);
    }
    if ticket.len() > TICKET_MAX {
        return Err(TokenError::Rejected);
    }
    let mut session_key = [0; 8];
    session_key.copy_from_slice(&fixed[12..20]);
    key.push(RxkadToken {
        vice_id: 0,
        kvno: u32_at(8),
        session_key,
        start: 0,
        expiry: u32_at(4),
        primary: false,
        ticket,
    })
}

/// The XDR token form; `None` when the payload is not XDR at all, so
/// that the caller falls back to the v1 form as the C code does.
fn parse_xdr<'a>(data: &'a [u8], key: &mut ClientKey<'a>) -> Option<Result<(), TokenError>> {
    if data.len() > XDR_LENGTH_MAX || data.len() % 4 != 0 || be32(data, 0)? != 0 {
        return None;
    }
    let cell_len = usize::try_from(be32(data, 1)?).ok()?;
    if !(1..=XDR_CELL_MAX).contains(&cell_len) {
        return None;
    }
    let cell_padded = padded(cell_len)?;
    let cell = data.get(8..8 + cell_padded)?;
    let (name, pad) = cell.split_at(cell_len);
    if !name.iter().all(|c| (0x20..0x7f).contains(c)) || pad.iter().any(|&c| c != 0) {
        return None;
    }
    let rest = &data[8 + cell_padded..];
    if rest.len() < 12 {
        return None;
    }
    let count = usize::try_from(be32(rest, 0)?).ok()?;
    if !(1..=TOKENS_MAX).contains(&count) {
        return None;
    }

    // Check every token wrapper before believing this is XDR at all.
    let mut tokens = [&rest[..0]; TOKENS_MAX];
    let mut at = &rest[4..];
    for token in tokens.iter_mut().take(count) {
        if at.len() < 8 {
            return None;
        }
        let len = usize::try_from(be32(at, 0)?).ok()?;
        let len_padded = padded(len)?;
        if len < 20 || len_padded > at.len() - 4 {
            return None;
        }
        *token = &at[4..4 + len];
        at = &at[4 + len_padded..];
    }
    if !at.is_empty() {
        return None;
    }

    let mut result = Err(TokenError::NotSupported);
    for token in &tokens[..count] {
        let parsed = match be32(token, 0) {
            Some(ix) if ix == u32::from(RXKAD) => parse_xdr_rxkad(&token[4..]),
            _ => Err(TokenError::NotSupported),
        };
        match parsed {
            Ok(t) => {
                if let Err(e) = key.push(t) {
                    return Some(Err(e));
                }
                result = Ok(());
            }
            Err(TokenError::NotSupported) => {}
            Err(e) => return Some(Err(e)),
        }
    }
    Some(result)
}

/// An rxkad token body: `{vice_id, kvno, session_key[8], start, expiry,
/// primary_flag, ticket_len, ticket}`, all XDR.
fn parse_xdr_rxkad(body: &[u8]) -> Result<RxkadToken<'_>, TokenError> {
    let word = |i| be32(body, i).ok_or(TokenError::Rejected);
    if body.len() <= 8 * 4 {
        return Err(TokenError::Rejected);
    }
    let ticket_len = usize::try_from(word(7)?).map_err(|_| TokenError::Rejected)?;
    if ticket_len > TICKET_MAX || body.len() < 8 * 4 + ticket_len {
        return Err(TokenError::Rejected);
    }
    let mut session_key = [0; 8];
    session_key.copy_from_slice(&body[8..16]);
    Ok(RxkadToken {
        vice_id: word(0)?,
        kvno: word(1)?,
        session_key,
        start: word(4)?,
        expiry: word(5)?,
        // The C code keeps only the low byte of the flag word.
        primary: word(6)? & 0xff != 0,
        ticket: &body[32..32 + ticket_len],
    })
}

/// Parses a decimal number the way the C code's `simple_strtoul` reads
/// descriptions: the digits at the front, and what follows them.
fn leading_number(s: &[u8]) -> (u64, &[u8]) {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let value = s[..digits].iter().fold(0u64, |n, c| {
        n.saturating_mul(10).saturating_add(u64::from(c - b'0'))
    });
    (value, &s[digits..])
}

/// A server key's description, `"<service>:<security index>[:...]"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerKeyName {
    /// The service the key serves.
    pub service: u16,
    /// The security class it is for (2 = rxkad).
    pub security_index: u8,
}

/// Checks an "rxrpc_s" description.
pub fn parse_server_key_name(desc: &[u8]) -> Result<ServerKeyName, TokenError> {
    let (service, rest) = leading_number(desc);
    let rest = rest.strip_prefix(b":").ok_or(TokenError::Invalid)?;
    let service = u16::try_from(service).map_err(|_| TokenError::Invalid)?;
    let (index, tail) = leading_number(rest);
    if !(tail.is_empty() || tail.starts_with(b":")) {
        return Err(TokenError::Invalid);
    }
    let security_index = u8::try_from(index)
        .ok()
        .filter(|&i| i >= 1)
        .ok_or(TokenError::Invalid)?;
    Ok(ServerKeyName {
        service,
        security_index,
    })
}

/// Checks an "rxrpc_s" payload for the security class in `name`: rxkad
/// takes exactly an 8-byte DES key.
pub fn parse_server_key<'a>(
    name: &ServerKeyName,
    data: &'a [u8],
) -> Result<&'a [u8; 8], TokenError> {
    if u16::from(name.security_index) != RXKAD {
        return Err(TokenError::NoPackage);
    }
    data.try_into().map_err(|_| TokenError::Invalid)
}

/// Writes the XDR token form of a key for cell `cell`, as `keyctl read`
/// returns it for an "afs@<cell>" key. Returns the full size; writes only
/// when `out` is large enough, so callers can size their buffer first.
pub fn encode_xdr<'a>(
    cell: &[u8],
    tokens: impl Iterator<Item = RxkadToken<'a>> + Clone,
    out: &mut [u8],
) -> usize {
    let token_size = |t: &RxkadToken<'_>| 4 + 8 * 4 + padded(t.ticket.len()).unwrap_or(usize::MAX);
    let size = tokens.clone().fold(
        4 + 4 + padded(cell.len()).unwrap_or(usize::MAX) + 4,
        |n, t| n.saturating_add(4).saturating_add(token_size(&t)),
    );
    if out.len() < size {
        return size;
    }
    let mut w = XdrWriter { out, at: 0 };
    w.word(0);
    w.data(cell);
    w.word(tokens.clone().count() as u32);
    for t in tokens {
        w.word(token_size(&t) as u32);
        w.word(u32::from(RXKAD));
        w.word(t.vice_id);
        w.word(t.kvno);
        w.bytes(&t.session_key);
        w.word(t.start);
        w.word(t.expiry);
        w.word(u32::from(t.primary));
        w.data(t.ticket);
    }
    size
}

/// Appends XDR items to a buffer already checked to be large enough.
struct XdrWriter<'o> {
    out: &'o mut [u8],
    at: usize,
}

impl XdrWriter<'_> {
    fn bytes(&mut self, b: &[u8]) {
        let end = self.at + padded(b.len()).unwrap_or(b.len());
        if let Some(dst) = self.out.get_mut(self.at..end) {
            dst.fill(0);
            dst[..b.len()].copy_from_slice(b);
        }
        self.at = end;
    }

    fn word(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    fn data(&mut self, b: &[u8]) {
        self.word(b.len() as u32);
        self.bytes(b);
    }
}
