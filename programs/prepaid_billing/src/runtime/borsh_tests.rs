//! Unit tests of `runtime/borsh.rs` (host only, `cargo test`), kept in their own file beside it.

use super::*;

const E: Error = Error::INSTRUCTION_DID_NOT_DESERIALIZE;

#[test]
fn integers_round_trip_little_endian() {
    let mut buf = [0u8; 23];
    let mut w = Writer::new(&mut buf, E);
    w.u8(7).unwrap();
    w.u16(0x0102).unwrap();
    w.u64(u64::MAX - 1).unwrap();
    w.i64(-2).unwrap();
    w.u32(9).unwrap();
    assert_eq!(w.position(), 23);
    assert_eq!(&buf[1..3], &[2, 1]);
    let mut r = Reader::new(&buf, E);
    assert_eq!(r.u8().unwrap(), 7);
    assert_eq!(r.u16().unwrap(), 0x0102);
    assert_eq!(r.u64().unwrap(), u64::MAX - 1);
    assert_eq!(r.i64().unwrap(), -2);
    assert_eq!(r.u32().unwrap(), 9);
    assert_eq!(r.u8(), Err(E));
}

#[test]
fn reading_past_the_end_fails_without_moving() {
    let data = [1u8, 2, 3];
    let mut r = Reader::new(&data, E);
    assert_eq!(r.u64(), Err(E));
    assert_eq!(r.position(), 0);
    assert_eq!(r.u16().unwrap(), 0x0201);
}

#[test]
fn bools_and_option_tags_accept_only_zero_and_one() {
    let data = [0u8, 1, 2];
    let mut r = Reader::new(&data, E);
    assert_eq!(r.bool(), Ok(false));
    assert_eq!(r.option(), Ok(true));
    assert_eq!(r.bool(), Err(E));
}

#[test]
fn integers_read_and_write_the_same_at_aligned_and_unaligned_addresses() {
    #[repr(align(8))]
    struct Aligned([u8; 40]);
    for start in 0..8 {
        let mut buf = Aligned([0; 40]);
        let mut w = Writer::new(&mut buf.0[start..], E);
        w.u64(0x0102_0304_0506_0708).unwrap();
        w.u16(0xA1B2).unwrap();
        w.u32(0xC0FF_EE00).unwrap();
        w.i64(-3).unwrap();
        assert_eq!(&buf.0[start..start + 8], &0x0102_0304_0506_0708u64.to_le_bytes());
        let mut r = Reader::new(&buf.0[start..], E);
        assert_eq!(r.u64(), Ok(0x0102_0304_0506_0708));
        assert_eq!(r.u16(), Ok(0xA1B2));
        assert_eq!(r.u32(), Ok(0xC0FF_EE00));
        assert_eq!(r.i64(), Ok(-3));
    }
}

#[test]
fn writing_past_the_end_fails() {
    let mut buf = [0u8; 4];
    let mut w = Writer::new(&mut buf, E);
    assert_eq!(w.u64(1), Err(E));
    assert_eq!(w.position(), 0);
    w.u32(5).unwrap();
    assert_eq!(w.u8(1), Err(E));
}
