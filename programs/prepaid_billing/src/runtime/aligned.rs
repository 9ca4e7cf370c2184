//! Program accounts read and written in place: the account data starts 8-byte aligned in the loader's
//! input, and the account layouts put every integer at an offset aligned to its size, so each field is
//! one load or store at a constant offset (the generated `read`/`write` of each account type). The
//! offsets are checked against the buffer size at compile time.

use super::error::Error;
use super::Pubkey;

/// A program account read and written in place (implemented by the generated layouts). `read` and
/// `write` cover the whole account data, discriminator included (checked separately by the loader).
pub trait AccountLayout: Sized {
    /// Account size: 8-byte discriminator + Borsh body, rounded up to a multiple of 8, bytes.
    const SPACE: usize;
    /// 3003 AccountDidNotDeserialize when the data is short, unaligned, or holds a bool other than 0/1.
    fn read(data: &[u8]) -> Result<Self, Error>;
    /// 3004 AccountDidNotSerialize when the data is short or unaligned.
    fn write(&self, data: &mut [u8]) -> Result<(), Error>;
}

/// `N` bytes at an 8-byte aligned address (`N` is a multiple of 8: account spaces are rounded up).
#[repr(C, align(8))]
pub struct Aligned<const N: usize>(pub [u8; N]);

/// The first `N` bytes of `data` as an aligned buffer, if `data` is that long and 8-byte aligned.
pub fn view<const N: usize>(data: &[u8]) -> Option<&Aligned<N>> {
    if N & 7 != 0 || data.len() < N || data.as_ptr() as usize & 7 != 0 {
        return None;
    }
    // SAFETY: `Aligned<N>` is repr(C) over `[u8; N]` with size N (a multiple of its alignment 8); the
    // pointer is 8-aligned and N bytes are readable; the borrow is tied to `data`.
    Some(unsafe { &*(data.as_ptr() as *const Aligned<N>) })
}

/// As `view`, writable.
pub fn view_mut<const N: usize>(data: &mut [u8]) -> Option<&mut Aligned<N>> {
    if N & 7 != 0 || data.len() < N || data.as_ptr() as usize & 7 != 0 {
        return None;
    }
    // SAFETY: as in `view`, with the unique borrow of `data`.
    Some(unsafe { &mut *(data.as_mut_ptr() as *mut Aligned<N>) })
}

/// Fails the build when a field of `W` bytes at `AT` does not fit in `N` bytes.
struct Fits<const N: usize, const AT: usize, const W: usize>;

impl<const N: usize, const AT: usize, const W: usize> Fits<N, AT, W> {
    const OK: () = assert!(AT + W <= N, "field outside the account layout");
}

/// Copies `W` bytes at `AT` (in range by `Fits`, so the fallback is dead code).
#[inline(always)]
fn bytes_at<const N: usize, const AT: usize, const W: usize>(b: &Aligned<N>) -> [u8; W] {
    #[allow(clippy::let_unit_value)]
    let () = Fits::<N, AT, W>::OK;
    let mut out = [0u8; W];
    if let Some(src) = b.0.get(AT..AT + W) {
        out.copy_from_slice(src);
    }
    out
}

#[inline(always)]
fn put_bytes<const N: usize, const AT: usize, const W: usize>(b: &mut Aligned<N>, v: [u8; W]) {
    #[allow(clippy::let_unit_value)]
    let () = Fits::<N, AT, W>::OK;
    if let Some(dst) = b.0.get_mut(AT..AT + W) {
        dst.copy_from_slice(&v);
    }
}

#[inline(always)]
pub fn u8_at<const N: usize, const AT: usize>(b: &Aligned<N>) -> u8 {
    u8::from_le_bytes(bytes_at::<N, AT, 1>(b))
}

/// A Borsh bool: `None` for a byte other than 0 or 1.
#[inline(always)]
pub fn bool_at<const N: usize, const AT: usize>(b: &Aligned<N>) -> Option<bool> {
    match u8_at::<N, AT>(b) {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

#[inline(always)]
pub fn u16_at<const N: usize, const AT: usize>(b: &Aligned<N>) -> u16 {
    u16::from_le_bytes(bytes_at::<N, AT, 2>(b))
}

#[inline(always)]
pub fn u32_at<const N: usize, const AT: usize>(b: &Aligned<N>) -> u32 {
    u32::from_le_bytes(bytes_at::<N, AT, 4>(b))
}

#[inline(always)]
pub fn u64_at<const N: usize, const AT: usize>(b: &Aligned<N>) -> u64 {
    u64::from_le_bytes(bytes_at::<N, AT, 8>(b))
}

#[inline(always)]
pub fn i64_at<const N: usize, const AT: usize>(b: &Aligned<N>) -> i64 {
    i64::from_le_bytes(bytes_at::<N, AT, 8>(b))
}

#[inline(always)]
pub fn key_at<const N: usize, const AT: usize>(b: &Aligned<N>) -> Pubkey {
    Pubkey(bytes_at::<N, AT, 32>(b))
}

#[inline(always)]
pub fn put_u8<const N: usize, const AT: usize>(b: &mut Aligned<N>, v: u8) {
    put_bytes::<N, AT, 1>(b, v.to_le_bytes())
}

#[inline(always)]
pub fn put_bool<const N: usize, const AT: usize>(b: &mut Aligned<N>, v: bool) {
    put_u8::<N, AT>(b, u8::from(v))
}

#[inline(always)]
pub fn put_u16<const N: usize, const AT: usize>(b: &mut Aligned<N>, v: u16) {
    put_bytes::<N, AT, 2>(b, v.to_le_bytes())
}

#[inline(always)]
pub fn put_u32<const N: usize, const AT: usize>(b: &mut Aligned<N>, v: u32) {
    put_bytes::<N, AT, 4>(b, v.to_le_bytes())
}

#[inline(always)]
pub fn put_u64<const N: usize, const AT: usize>(b: &mut Aligned<N>, v: u64) {
    put_bytes::<N, AT, 8>(b, v.to_le_bytes())
}

#[inline(always)]
pub fn put_i64<const N: usize, const AT: usize>(b: &mut Aligned<N>, v: i64) {
    put_bytes::<N, AT, 8>(b, v.to_le_bytes())
}

#[inline(always)]
pub fn put_key<const N: usize, const AT: usize>(b: &mut Aligned<N>, v: &Pubkey) {
    put_bytes::<N, AT, 32>(b, v.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_back_what_was_written_little_endian() {
        let mut b = Aligned([0u8; 48]);
        put_key::<48, 0>(&mut b, &Pubkey([9; 32]));
        put_u64::<48, 32>(&mut b, 0x0102_0304_0506_0708);
        put_u16::<48, 40>(&mut b, 0xA1B2);
        put_u32::<48, 42>(&mut b, 7);
        put_bool::<48, 46>(&mut b, true);
        put_i64::<48, 32>(&mut b, -2);
        assert_eq!(key_at::<48, 0>(&b), Pubkey([9; 32]));
        assert_eq!(u64_at::<48, 32>(&b), u64::MAX - 1);
        assert_eq!(&b.0[40..42], &[0xB2, 0xA1]);
        assert_eq!(u16_at::<48, 40>(&b), 0xA1B2);
        assert_eq!(u32_at::<48, 42>(&b), 7);
        assert_eq!(bool_at::<48, 46>(&b), Some(true));
        assert_eq!(bool_at::<48, 47>(&b), Some(false));
        b.0[47] = 2;
        assert_eq!(bool_at::<48, 47>(&b), None);
        assert_eq!(i64_at::<48, 32>(&b), -2);
        assert_eq!(u8_at::<48, 40>(&b), 0xB2);
    }

    #[test]
    fn views_need_length_and_alignment() {
        let b = Aligned([1u8; 24]);
        assert!(view::<16>(&b.0).is_some());
        assert!(view::<24>(&b.0).is_some());
        assert!(view::<32>(&b.0).is_none());
        assert!(view::<8>(&b.0[1..]).is_none());
        assert!(view::<12>(&b.0).is_none());
        let mut m = Aligned([0u8; 16]);
        assert!(view_mut::<16>(&mut m.0).is_some());
        assert!(view_mut::<8>(&mut m.0[4..]).is_none());
    }
}
