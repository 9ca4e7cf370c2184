//! Program logs: plain lines (`sol_log_`, shown as "Program log: …") and Anchor events
//! (`sol_log_data` of discriminator ++ Borsh, shown as "Program data: <base64>").

use super::borsh::{Borsh, Discriminator, Writer};
use super::cpi::SolBytes;
use super::error::Error;
use super::syscalls;

/// Room for the largest event: 8-byte discriminator + 120-byte `UsageDeducted`, rounded up.
const EVENT_BUFFER: usize = 160;

/// 8-byte aligned, so the event's integers at aligned offsets are single stores.
#[repr(C, align(8))]
struct EventBuffer([u8; EVENT_BUFFER]);

pub fn log(message: &[u8]) {
    // SAFETY: a readable region of `len` bytes.
    unsafe { syscalls::sol_log_(message.as_ptr(), message.len() as u64) };
}

/// Emits `event` as Anchor does, so `EventParser` decodes it from the logs.
pub fn emit<E: Borsh + Discriminator>(event: &E) -> Result<(), Error> {
    let mut buf = EventBuffer([0u8; EVENT_BUFFER]);
    let mut w = Writer::new(&mut buf.0, Error::ACCOUNT_DID_NOT_SERIALIZE);
    w.bytes(&E::DISCRIMINATOR)?;
    event.encode(&mut w)?;
    let len = w.position();
    let field = SolBytes::of(buf.0.get(..len).ok_or(Error::ACCOUNT_DID_NOT_SERIALIZE)?);
    // SAFETY: one SolBytes over a live local buffer.
    unsafe { syscalls::sol_log_data(&field as *const SolBytes as *const u8, 1) };
    Ok(())
}
