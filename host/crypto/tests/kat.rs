//! Known answers for the host ciphers.
//!
//! fcrypt: `fcrypt_pcbc_tv_template` of the kernel's crypto/testmgr.h (the
//! one-block vectors with a zero IV are ECB; they come from the OpenAFS
//! development list) and the Arla vectors that OpenAFS's
//! src/rxkad/test/fc_test.c also checks. DES: the FIPS 46 worked example.

use rxrpc_crypto::{pcbc, Des, Fcrypt};

fn h(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn k8(s: &str) -> [u8; 8] {
    h(s).try_into().unwrap()
}

#[test]
fn fcrypt_ecb() {
    for (key, pt, ct) in [
        ("0000000000000000", "0000000000000000", "0e0900c73ef7ed41"),
        ("114477aadd003366", "123456789abcdef0", "d8ed787477ec0680"),
    ] {
        let f = Fcrypt::new(&k8(key));
        let mut b = k8(pt);
        f.encrypt_block(&mut b);
        assert_eq!(b, k8(ct), "key {key}");
        f.decrypt_block(&mut b);
        assert_eq!(b, k8(pt));
    }
}

const QUICK: &[u8; 48] = b"The quick brown fox jumps over the lazy dogs.\0\0\0";

#[test]
fn fcrypt_pcbc() {
    let want = [
        (
            "f0e1d2c3b4a59687",
            "fedcba9876543210",
            "00f00e1175e62382eeac98624451e484c359d8aa6460aef7d2d9137972a34503\
             23b562d70cf527d1f8913cac442292ef",
        ),
        (
            "fedcba9876543210",
            "f0e1d2c3b4a59687",
            "ca90f59dcbd4d23c01887f3e316e629dd8e057a3063a42582a28fe72522fdde0\
             1989091c2a8e8c94fcc768e488aade0f",
        ),
    ];
    for (key, iv, ct) in want {
        let f = Fcrypt::new(&k8(key));
        let mut buf = *QUICK;
        pcbc::encrypt(&f, &k8(iv), &mut buf).unwrap();
        assert_eq!(buf.to_vec(), h(ct), "key {key}");
        pcbc::decrypt(&f, &k8(iv), &mut buf).unwrap();
        assert_eq!(&buf, QUICK);
    }
}

#[test]
fn pcbc_refuses_partial_blocks() {
    let mut b = [0u8; 12];
    let f = Fcrypt::new(&[0; 8]);
    assert!(pcbc::encrypt(&f, &[0; 8], &mut b).is_err());
    assert!(pcbc::decrypt(&f, &[0; 8], &mut b).is_err());
}

#[test]
fn des_ecb_and_pcbc_round_trip() {
    let d = Des::new(&k8("133457799bbcdff1"));
    let mut b = k8("0123456789abcdef");
    pcbc::Block8::enc(&d, &mut b);
    assert_eq!(b, k8("85e813540f0ab405"));
    let mut buf = *QUICK;
    pcbc::encrypt(&d, &k8("0011223344556677"), &mut buf).unwrap();
    assert_ne!(&buf, QUICK);
    pcbc::decrypt(&d, &k8("0011223344556677"), &mut buf).unwrap();
    assert_eq!(&buf, QUICK);
}

/// The engine's own PCBC (in place, from pieces, split) against
/// [`pcbc`] over the same blocks.
#[test]
fn fcrypt_pcbc_forms_agree() {
    let f = Fcrypt::new(&k8("f0e1d2c3b4a59687"));
    let iv = k8("fedcba9876543210");
    let mut want = *QUICK;
    pcbc::encrypt(&f, &iv, &mut want).unwrap();
    let mut buf = *QUICK;
    f.encrypt(&iv, &mut buf).unwrap();
    assert_eq!(buf, want);
    f.decrypt(&iv, &mut buf).unwrap();
    assert_eq!(&buf, QUICK);
    for body_len in [0, 1, 7, 8, 9, 39, 40] {
        let head: [u8; 8] = QUICK[..8].try_into().unwrap();
        let body = &QUICK[8..8 + body_len];
        let total = (8 + body_len).div_ceil(8) * 8;
        let mut staged = vec![0u8; total];
        staged[..8 + body_len].copy_from_slice(&QUICK[..8 + body_len]);
        pcbc::encrypt(&f, &iv, &mut staged).unwrap();
        let mut out = vec![0xaau8; total + 3];
        f.encrypt_gather(&iv, &head, body, total, &mut out).unwrap();
        assert_eq!(&out[..total], &staged[..], "body {body_len}");
        assert_eq!(&out[total..], &[0xaa; 3]);
        let mut split = vec![0u8; total];
        f.decrypt_split(&iv, &staged, 8, &mut split).unwrap();
        let mut plain = staged.clone();
        pcbc::decrypt(&f, &iv, &mut plain).unwrap();
        plain.rotate_left(8);
        assert_eq!(split, plain, "body {body_len}");
    }
    let mut out = [0u8; 16];
    assert!(f
        .encrypt_gather(&iv, &[0; 8], &[0; 9], 16, &mut out)
        .is_err());
    assert!(f.decrypt_split(&iv, &[0; 16], 4, &mut out).is_err());
    assert!(f.decrypt_split(&iv, &[0; 12], 8, &mut out[..12]).is_err());
}
