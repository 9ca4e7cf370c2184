//! Unit tests of `runtime/error.rs` (host only, `cargo test`), kept in their own file beside it.

use super::*;

fn line_of(e: Error) -> std::string::String {
    let d = describe(e.code());
    let mut buf = [0u8; 256];
    let mut line = Line { buf: &mut buf, len: 0 };
    line.push(b"AnchorError occurred. Error Code: ");
    line.push(d.name.as_bytes());
    line.push(b". Error Number: ");
    line.push_u32(e.code());
    line.push(b". Error Message: ");
    line.push(d.message.as_bytes());
    line.push(b".");
    std::string::String::from_utf8(line.as_bytes().to_vec()).unwrap()
}

#[test]
fn program_errors_log_in_anchor_form() {
    assert_eq!(
        line_of(fail(BillingError::BatchAlreadySettled)),
        "AnchorError occurred. Error Code: BatchAlreadySettled. Error Number: 6007. Error Message: This usage batch was already settled."
    );
}

#[test]
fn framework_errors_keep_anchor_codes_and_messages() {
    assert_eq!(Error::ACCOUNT_NOT_SIGNER.code(), 3010);
    assert_eq!(
        line_of(Error::CONSTRAINT_SEEDS),
        "AnchorError occurred. Error Code: ConstraintSeeds. Error Number: 2006. Error Message: A seeds constraint was violated."
    );
}

#[test]
fn numbers_print_in_decimal() {
    let mut buf = [0u8; 256];
    let mut line = Line { buf: &mut buf, len: 0 };
    line.push_u32(0);
    line.push(b" ");
    line.push_u32(4_294_967_295);
    assert_eq!(line.as_bytes(), b"0 4294967295");
}

#[test]
fn lines_longer_than_the_buffer_are_cut() {
    let mut buf = [0u8; 256];
    let mut line = Line { buf: &mut buf, len: 0 };
    line.push(&[b'a'; 200]);
    line.push(&[b'b'; 100]);
    assert_eq!(line.as_bytes().len(), 256);
    assert_eq!(line.as_bytes()[255], b'b');
    line.push(b"c");
    assert_eq!(line.as_bytes().len(), 256);
}

#[test]
fn error_results_fit_one_register() {
    assert_eq!(core::mem::size_of::<Result<(), Error>>(), 4);
}
