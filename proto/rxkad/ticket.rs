//! Kerberos 4 tickets as rxkad servers read them (C's
//! `rxkad_decrypt_ticket`), decrypted:
//!
//! flags (bit 0: little-endian time), client name, instance and realm
//! (NUL-terminated, printable, at most 40 bytes each), client IPv4 address,
//! session key (8), lifetime (one byte, 5-minute units), issue time (4),
//! service name and instance. Anything after is padding.

use super::super::wire::{RXKADBADTICKET, RXKADEXPIRED, RXKADNOAUTH};

/// Longest name field, without its NUL (ANAME_SZ, INST_SZ, ...).
pub const NAME_SZ: usize = 40;

/// What a server takes from a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket<'a> {
    /// Client name.
    pub name: &'a [u8],
    /// Client instance.
    pub instance: &'a [u8],
    /// Client realm.
    pub realm: &'a [u8],
    /// Address of the client the ticket was issued to (not checked: the C
    /// module does not).
    pub addr: [u8; 4],
    /// Session key.
    pub session_key: [u8; 8],
    /// Issue time, seconds since 1970.
    pub issue: i64,
    /// Lifetime in seconds.
    pub life: i64,
    /// Service name.
    pub service: &'a [u8],
    /// Service instance.
    pub service_instance: &'a [u8],
}

impl Ticket<'_> {
    /// When the ticket runs out.
    pub fn expiry(&self) -> i64 {
        self.issue + self.life
    }
}

/// The kernel's `isprint()`: ASCII and Latin-1 printables.
fn is_print(c: u8) -> bool {
    (0x20..0x7f).contains(&c) || c >= 0xa0
}

struct Cursor<'a> {
    b: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// A NUL-terminated printable name of at most [`NAME_SZ`] bytes.
    fn name(&mut self) -> Result<&'a [u8], u32> {
        let nul = self.b.iter().position(|&c| c == 0).ok_or(RXKADBADTICKET)?;
        let (name, rest) = self.b.split_at(nul);
        if name.len() > NAME_SZ || !name.iter().all(|&c| is_print(c)) {
            return Err(RXKADBADTICKET);
        }
        self.b = rest.get(1..).unwrap_or(&[]);
        Ok(name)
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], u32> {
        let (head, rest) = self.b.split_first_chunk::<N>().ok_or(RXKADBADTICKET)?;
        self.b = rest;
        Ok(*head)
    }
}

/// Parse decrypted ticket `plain` and check that it is in date at `now`,
/// failing with C's abort codes in C's order: RXKADBADTICKET for a bad
/// name or a short ticket, RXKADNOAUTH for one issued in the future,
/// RXKADEXPIRED for one past its lifetime (checked before the service
/// names are read, as C does).
pub fn parse(plain: &[u8], now: i64) -> Result<Ticket<'_>, u32> {
    let (&flags, rest) = plain.split_first().ok_or(RXKADBADTICKET)?;
    let mut c = Cursor { b: rest };
    let name = c.name()?;
    let instance = c.name()?;
    let realm = c.name()?;
    // C wants 18 bytes here (4 + 8 + 4 + 2), one more than it reads.
    if c.b.len() < 4 + 8 + 4 + 2 {
        return Err(RXKADBADTICKET);
    }
    let addr = c.take::<4>()?;
    let session_key = c.take::<8>()?;
    let [life] = c.take::<1>()?;
    let stamp = c.take::<4>()?;
    let issue = i64::from(if flags & 1 != 0 {
        u32::from_le_bytes(stamp)
    } else {
        u32::from_be_bytes(stamp)
    });
    let life = i64::from(life) * 5 * 60;
    if issue > now {
        return Err(RXKADNOAUTH);
    }
    if issue < now.saturating_sub(life) {
        return Err(RXKADEXPIRED);
    }
    let service = c.name()?;
    let service_instance = c.name()?;
    Ok(Ticket {
        name,
        instance,
        realm,
        addr,
        session_key,
        issue,
        life,
        service,
        service_instance,
    })
}

/// Write a ticket's plaintext (big-endian time) into `out`, zero-padded to
/// a whole number of 8-byte blocks; returns the length. For tests and
/// tools that mint tickets.
pub fn encode(t: &Ticket<'_>, out: &mut [u8]) -> Option<usize> {
    fn put(out: &mut [u8], n: &mut usize, bytes: &[u8]) -> Option<()> {
        out.get_mut(*n..*n + bytes.len())?.copy_from_slice(bytes);
        *n += bytes.len();
        Some(())
    }
    let life = u8::try_from(t.life / 300).ok()?;
    let issue = u32::try_from(t.issue).ok()?;
    let mut n = 0;
    put(out, &mut n, &[0])?;
    for s in [t.name, t.instance, t.realm] {
        put(out, &mut n, s)?;
        put(out, &mut n, &[0])?;
    }
    put(out, &mut n, &t.addr)?;
    put(out, &mut n, &t.session_key)?;
    put(out, &mut n, &[life])?;
    put(out, &mut n, &issue.to_be_bytes())?;
    for s in [t.service, t.service_instance] {
        put(out, &mut n, s)?;
        put(out, &mut n, &[0])?;
    }
    while n % 8 != 0 {
        put(out, &mut n, &[0])?;
    }
    Some(n)
}
