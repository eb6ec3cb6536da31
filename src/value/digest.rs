//! Collision-resistant digests of collections, kept incrementally: the
//! run hash encodes a collection write by its digest (docs/runtime.md
//! gives the argument).
//!
//! A collection is the set of its entries: (index, element) for a list,
//! the element for a set, (key, value) for a map. Each entry's canonical
//! encoding is expanded by blake3's extendable output into 1,024 lanes of
//! 16 bits; the collection's lanes are the lane-wise sum (mod 2^16) of its
//! entries' lanes. This is LtHash (Bellare–Micciancio's lattice-based
//! multiset hash with the parameters Lewi et al. analysed, "Securing Update
//! Propagation with Homomorphic Hashing", 2019): finding two different
//! entry sets with equal lanes solves a short-integer-solution problem in
//! dimension 1,024, about 200 bits of security. An insertion, removal or
//! replacement adjusts the lanes in O(1). The digest is blake3 over the
//! kind, the length and the lanes.
//!
//! Nested collections enter their parent's entries by their own digest, so
//! equality of digests means equality of values, recursively.

use super::Value;

pub const LANES: usize = 1024;

/// A collection's lanes.
#[derive(Clone)]
pub struct Lanes(pub Box<[u16; LANES]>);

impl Default for Lanes {
    fn default() -> Self {
        Lanes(Box::new([0; LANES]))
    }
}

impl Lanes {
    pub fn add(&mut self, entry: &[u8]) {
        let e = expand(entry);
        for (a, b) in self.0.iter_mut().zip(e.iter()) {
            *a = a.wrapping_add(*b);
        }
    }

    pub fn sub(&mut self, entry: &[u8]) {
        let e = expand(entry);
        for (a, b) in self.0.iter_mut().zip(e.iter()) {
            *a = a.wrapping_sub(*b);
        }
    }

    /// The digest of a collection of kind `tag` with `len` entries and these lanes.
    pub fn digest(&self, tag: u8, len: usize) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"lexum collection");
        h.update(&[tag]);
        h.update(&(len as u64).to_le_bytes());
        let mut bytes = [0u8; 2 * LANES];
        for (i, l) in self.0.iter().enumerate() {
            bytes[2 * i..2 * i + 2].copy_from_slice(&l.to_le_bytes());
        }
        h.update(&bytes);
        *h.finalize().as_bytes()
    }
}

/// An entry's 1,024 lanes: blake3's extendable output over its encoding.
fn expand(entry: &[u8]) -> [u16; LANES] {
    let mut bytes = [0u8; 2 * LANES];
    let mut h = blake3::Hasher::new();
    h.update(b"lexum entry");
    h.update(entry);
    h.finalize_xof().fill(&mut bytes);
    let mut out = [0u16; LANES];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]);
    }
    out
}

/// Appends a value's encoding as an element of a collection: scalars as
/// the canonical encoding, collections as tag 8 and their digest.
pub fn encode_element(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::List(_) | Value::Set(_) | Value::Map(_) => {
            out.push(8);
            out.extend_from_slice(&v.digest());
        }
        _ => crate::runtime::hash::encode_value(out, v),
    }
}

pub fn list_entry(i: usize, x: &Value) -> Vec<u8> {
    let mut b = Vec::with_capacity(32);
    b.push(b'L');
    b.extend_from_slice(&(i as u64).to_le_bytes());
    encode_element(&mut b, x);
    b
}

pub fn set_entry(x: &Value) -> Vec<u8> {
    let mut b = Vec::with_capacity(32);
    b.push(b'S');
    encode_element(&mut b, x);
    b
}

pub fn map_entry(k: &Value, v: &Value) -> Vec<u8> {
    let mut b = Vec::with_capacity(48);
    b.push(b'M');
    encode_element(&mut b, k);
    encode_element(&mut b, v);
    b
}
