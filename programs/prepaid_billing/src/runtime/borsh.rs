//! Borsh reading and writing at a cursor, as Anchor encodes accounts, instruction data and events:
//! little-endian integers, `bool` as one byte 0/1, `Option` as a 0/1 tag then the value, fixed arrays
//! element by element. Every read and write is bounds-checked and fails with the error the cursor was
//! made with; nothing here can panic.
//!
//! Borsh data has no alignment, and the BPF backend turns an unaligned integer access into a load or
//! store per byte (about 20 instructions for a u64). Account data starts 8-byte aligned in the loader's
//! input and the account layouts put every integer at an offset aligned to its size, so integers take a
//! single aligned access when their address allows it (checked at run time) and bytes otherwise. The
//! aligned access is volatile so that LLVM cannot merge it with the byte-wise branch (it would keep the
//! weaker alignment of the two and expand both back into bytes).
//!
//! The cursor methods return two-register values (`Result<u64, Error>`), so they are always inlined.

use super::error::Error;
use super::Pubkey;

/// A type with a Borsh encoding (implemented by the generated layouts).
pub trait Borsh: Sized {
    /// Largest encoding, bytes (the exact size for types without `Option` fields).
    const MAX_LEN: usize;
    fn decode(r: &mut Reader) -> Result<Self, Error>;
    fn encode(&self, w: &mut Writer) -> Result<(), Error>;
}

/// Anchor's 8-byte prefix of accounts, events and instruction data: sha256("<namespace>:<Name>")[0..8].
pub trait Discriminator {
    const DISCRIMINATOR: [u8; 8];
}

pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    error: Error,
}

impl<'a> Reader<'a> {
    /// A cursor at the start of `data`; reads past the end fail with `error`.
    pub fn new(data: &'a [u8], error: Error) -> Reader<'a> {
        Reader { data, pos: 0, error }
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline(always)]
    pub fn bytes<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let end = self.pos.checked_add(N).ok_or(self.error)?;
        let src = self.data.get(self.pos..end).ok_or(self.error)?;
        let out = <[u8; N]>::try_from(src).map_err(|_| self.error)?;
        self.pos = end;
        Ok(out)
    }

    #[inline(always)]
    pub fn u8(&mut self) -> Result<u8, Error> {
        Ok(u8::from_le_bytes(self.bytes::<1>()?))
    }

    #[inline(always)]
    pub fn bool(&mut self) -> Result<bool, Error> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.error),
        }
    }

    /// An `Option` tag: true when a value follows.
    #[inline(always)]
    pub fn option(&mut self) -> Result<bool, Error> {
        self.bool()
    }

    /// The next `N` bytes as a slice (for aligned integer reads).
    #[inline(always)]
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or(self.error)?;
        let src = self.data.get(self.pos..end).ok_or(self.error)?;
        self.pos = end;
        Ok(src)
    }

    #[inline(always)]
    pub fn u16(&mut self) -> Result<u16, Error> {
        let src = self.take(2)?;
        if src.as_ptr() as usize & 1 == 0 {
            // SAFETY: two readable bytes at a 2-aligned address.
            return Ok(u16::from_le(unsafe { core::ptr::read_volatile(src.as_ptr() as *const u16) }));
        }
        Ok(u16::from_le_bytes(<[u8; 2]>::try_from(src).map_err(|_| self.error)?))
    }

    #[inline(always)]
    pub fn u32(&mut self) -> Result<u32, Error> {
        let src = self.take(4)?;
        if src.as_ptr() as usize & 3 == 0 {
            // SAFETY: four readable bytes at a 4-aligned address.
            return Ok(u32::from_le(unsafe { core::ptr::read_volatile(src.as_ptr() as *const u32) }));
        }
        Ok(u32::from_le_bytes(<[u8; 4]>::try_from(src).map_err(|_| self.error)?))
    }

    #[inline(always)]
    pub fn u64(&mut self) -> Result<u64, Error> {
        let src = self.take(8)?;
        if src.as_ptr() as usize & 7 == 0 {
            // SAFETY: eight readable bytes at an 8-aligned address.
            return Ok(u64::from_le(unsafe { core::ptr::read_volatile(src.as_ptr() as *const u64) }));
        }
        Ok(u64::from_le_bytes(<[u8; 8]>::try_from(src).map_err(|_| self.error)?))
    }

    #[inline(always)]
    pub fn i64(&mut self) -> Result<i64, Error> {
        Ok(self.u64()? as i64)
    }

    #[inline(always)]
    pub fn pubkey(&mut self) -> Result<Pubkey, Error> {
        Ok(Pubkey(self.bytes::<32>()?))
    }
}

pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
    error: Error,
}

impl<'a> Writer<'a> {
    /// A cursor at the start of `buf`; writes past the end fail with `error`.
    pub fn new(buf: &'a mut [u8], error: Error) -> Writer<'a> {
        Writer { buf, pos: 0, error }
    }

    /// Bytes written so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The next `n` bytes as a mutable slice.
    #[inline(always)]
    fn take(&mut self, n: usize) -> Result<&mut [u8], Error> {
        let end = self.pos.checked_add(n).ok_or(self.error)?;
        let dst = self.buf.get_mut(self.pos..end).ok_or(self.error)?;
        self.pos = end;
        Ok(dst)
    }

    #[inline(always)]
    pub fn bytes(&mut self, src: &[u8]) -> Result<(), Error> {
        let dst = self.take(src.len())?;
        dst.copy_from_slice(src);
        Ok(())
    }

    #[inline(always)]
    pub fn u8(&mut self, v: u8) -> Result<(), Error> {
        let error = self.error;
        let dst = self.take(1)?;
        *dst.first_mut().ok_or(error)? = v;
        Ok(())
    }

    #[inline(always)]
    pub fn bool(&mut self, v: bool) -> Result<(), Error> {
        self.u8(u8::from(v))
    }

    #[inline(always)]
    pub fn u16(&mut self, v: u16) -> Result<(), Error> {
        let dst = self.take(2)?;
        if dst.as_ptr() as usize & 1 == 0 {
            // SAFETY: two writable bytes at a 2-aligned address.
            unsafe { core::ptr::write_volatile(dst.as_mut_ptr() as *mut u16, v.to_le()) };
        } else {
            dst.copy_from_slice(&v.to_le_bytes());
        }
        Ok(())
    }

    #[inline(always)]
    pub fn u32(&mut self, v: u32) -> Result<(), Error> {
        let dst = self.take(4)?;
        if dst.as_ptr() as usize & 3 == 0 {
            // SAFETY: four writable bytes at a 4-aligned address.
            unsafe { core::ptr::write_volatile(dst.as_mut_ptr() as *mut u32, v.to_le()) };
        } else {
            dst.copy_from_slice(&v.to_le_bytes());
        }
        Ok(())
    }

    #[inline(always)]
    pub fn u64(&mut self, v: u64) -> Result<(), Error> {
        let dst = self.take(8)?;
        if dst.as_ptr() as usize & 7 == 0 {
            // SAFETY: eight writable bytes at an 8-aligned address.
            unsafe { core::ptr::write_volatile(dst.as_mut_ptr() as *mut u64, v.to_le()) };
        } else {
            dst.copy_from_slice(&v.to_le_bytes());
        }
        Ok(())
    }

    #[inline(always)]
    pub fn i64(&mut self, v: i64) -> Result<(), Error> {
        self.u64(v as u64)
    }

    #[inline(always)]
    pub fn pubkey(&mut self, v: &Pubkey) -> Result<(), Error> {
        self.bytes(&v.0)
    }
}

#[cfg(test)]
#[path = "borsh_tests.rs"]
mod tests;
