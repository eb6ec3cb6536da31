//! Run-time values. Collections are persistent (`im`), so copying a value or a
//! whole state is O(1) and kept history shares structure. Everything is totally
//! ordered, so maps and sets iterate the same way on every machine.

use std::fmt;
use std::sync::{Arc, OnceLock};

pub(crate) mod digest;
pub mod json;
use digest::Lanes;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Int(i64),
    Bool(bool),
    /// A thin pointer (not `Arc<str>`), so that a `Value` is 16 bytes: state
    /// slots, frames, message arguments and queued events all hold values.
    Str(Arc<String>),
    /// Collections are boxed behind an `Arc` (one pointer, as for strings)
    /// and carry their content hash (see [`Hashed`]); cloning is O(1).
    List(Arc<Hashed<im::Vector<Value>>>),
    Set(Arc<Hashed<im::OrdSet<Value>>>),
    Map(Arc<Hashed<im::OrdMap<Value, Value>>>),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::new(s.to_string()))
    }

    pub fn list(items: im::Vector<Value>) -> Value {
        Value::List(Arc::new(Hashed::of_list(items)))
    }

    pub fn set(items: im::OrdSet<Value>) -> Value {
        Value::Set(Arc::new(Hashed::of_set(items)))
    }

    pub fn map(items: im::OrdMap<Value, Value>) -> Value {
        Value::Map(Arc::new(Hashed::of_map(items)))
    }

    /// A 128-bit hash of the content, O(1) for every value but strings
    /// (collections keep theirs up to date as they change). Equal values
    /// have equal hashes on every machine and build; the oscillation
    /// detector fingerprints configurations with it instead of walking
    /// every collection at every repair cycle.
    pub fn content_hash(&self) -> u128 {
        match self {
            Value::Int(i) => mix(1, *i as u64 as u128),
            Value::Bool(b) => mix(2, *b as u128),
            Value::Str(s) => mix(3, hash_bytes(s.as_bytes())),
            Value::List(l) => mix(4, l.sum ^ l.items.len() as u128),
            Value::Set(x) => mix(5, x.sum ^ x.items.len() as u128),
            Value::Map(m) => mix(6, m.sum ^ m.items.len() as u128),
        }
    }

    /// A collection's collision-resistant digest ([`digest`]): from its
    /// kept lanes when it has them, else computed (O(size)) and not kept.
    /// Not for scalars (they are encoded whole).
    pub fn digest(&self) -> [u8; 32] {
        self.digest_keeping(false)
    }

    /// [`Value::digest`], keeping the lanes in the collection so that the
    /// values derived from it by insertions and removals digest in O(1).
    /// The run hash digests every collection written this way.
    pub fn kept_digest(&self) -> [u8; 32] {
        self.digest_keeping(true)
    }

    fn digest_keeping(&self, keep: bool) -> [u8; 32] {
        match self {
            Value::List(l) => l.digest_with(4, keep, |x| x.lanes_of()),
            Value::Set(x) => x.digest_with(5, keep, |x| x.lanes_of()),
            Value::Map(m) => m.digest_with(6, keep, |x| x.lanes_of()),
            _ => [0; 32],
        }
    }

    /// Whether a value read from outside (an input line, an effect's result)
    /// has type `t`, so typed code may rely on it.
    pub fn fits(&self, t: &crate::types::Type) -> bool {
        use crate::types::Type;
        match (self, t) {
            (Value::Int(_), Type::Int)
            | (Value::Bool(_), Type::Bool)
            | (Value::Str(_), Type::Str) => true,
            (Value::List(l), Type::List(e)) => l.iter().all(|x| x.fits(e)),
            (Value::Set(s), Type::Set(e)) => s.iter().all(|x| x.fits(e)),
            (Value::Map(m), Type::Map(k, e)) => m.iter().all(|(a, b)| a.fits(k) && b.fits(e)),
            // `{}` reads back as an empty map; it fits an empty set too.
            (Value::Map(m), Type::Set(_)) => m.is_empty(),
            _ => false,
        }
    }
}

/// Writes a string as a Lexum literal, escaping what the lexer would not read back.
pub fn write_str_literal(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            '\0' => f.write_str("\\0")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Values print as Lexum literals: `3`, `"Active"`, `[1, 2]`, `{1, 2}`, `{"a": 1}`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Str(s) => write_str_literal(f, s),
            Value::List(xs) => {
                f.write_str("[")?;
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
            Value::Set(xs) => {
                f.write_str("{")?;
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("}")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// splitmix64's finalizer: a fixed, well-mixed permutation of u64.
fn sm(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Combines two 128-bit hashes (not symmetric).
fn mix(a: u128, b: u128) -> u128 {
    let (a0, a1, b0, b1) = (a as u64, (a >> 64) as u64, b as u64, (b >> 64) as u64);
    let x = sm(a0 ^ sm(b0 ^ 0x243F_6A88_85A3_08D3)) ^ sm(a1.rotate_left(17) ^ b1);
    let y = sm(a1 ^ sm(b1 ^ 0x1319_8A2E_0370_7344)) ^ sm(a0.rotate_left(29) ^ b0 ^ 0xA409);
    (x as u128) | ((y as u128) << 64)
}

fn hash_bytes(b: &[u8]) -> u128 {
    let mut h: u128 = b.len() as u128;
    for chunk in b.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(w) as u128);
    }
    h
}

/// A collection with a hash of its content kept up to date: the wrapping
/// sum of one hash per element (per index and element for lists, per key
/// and value for maps), so each insertion, removal or replacement adjusts it
/// in O(1). Reads go through `Deref`; changes through the methods here.
#[derive(Clone, Debug)]
pub struct Hashed<T> {
    items: T,
    sum: u128,
    /// The collision-resistant lanes ([`digest`]), once asked for; kept up
    /// to date by every change from then on.
    lanes: OnceLock<Lanes>,
}

impl std::fmt::Debug for Lanes {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("Lanes")
    }
}

impl<T> Hashed<T> {
    fn new(items: T, sum: u128) -> Self {
        Hashed {
            items,
            sum,
            lanes: OnceLock::new(),
        }
    }

    fn len_of(&self) -> usize
    where
        T: Len,
    {
        self.items.length()
    }

    /// The digest of a collection of kind `tag`: from the kept lanes, or
    /// computed by `compute` (and kept when `keep`).
    fn digest_with(&self, tag: u8, keep: bool, compute: impl Fn(&Self) -> Lanes) -> [u8; 32]
    where
        T: Len,
    {
        let len = self.len_of();
        match self.lanes.get() {
            Some(l) => l.digest(tag, len),
            None if keep => self.lanes.get_or_init(|| compute(self)).digest(tag, len),
            None => compute(self).digest(tag, len),
        }
    }
}

/// How many entries a collection has.
trait Len {
    fn length(&self) -> usize;
}
impl Len for im::Vector<Value> {
    fn length(&self) -> usize {
        self.len()
    }
}
impl Len for im::OrdSet<Value> {
    fn length(&self) -> usize {
        self.len()
    }
}
impl Len for im::OrdMap<Value, Value> {
    fn length(&self) -> usize {
        self.len()
    }
}

impl<T> std::ops::Deref for Hashed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.items
    }
}

impl<T: PartialEq> PartialEq for Hashed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.sum == other.sum && self.items == other.items
    }
}
impl<T: Eq> Eq for Hashed<T> {}
impl<T: PartialOrd> PartialOrd for Hashed<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.items.partial_cmp(&other.items)
    }
}
impl<T: Ord> Ord for Hashed<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.items.cmp(&other.items)
    }
}
impl<T: std::hash::Hash> std::hash::Hash for Hashed<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.items.hash(state)
    }
}

impl Hashed<im::Vector<Value>> {
    fn lanes_of(&self) -> Lanes {
        let mut l = Lanes::default();
        for (i, x) in self.items.iter().enumerate() {
            l.add(&digest::list_entry(i, x));
        }
        l
    }
}
impl Hashed<im::OrdSet<Value>> {
    fn lanes_of(&self) -> Lanes {
        let mut l = Lanes::default();
        for x in self.items.iter() {
            l.add(&digest::set_entry(x));
        }
        l
    }
}
impl Hashed<im::OrdMap<Value, Value>> {
    fn lanes_of(&self) -> Lanes {
        let mut l = Lanes::default();
        for (k, v) in self.items.iter() {
            l.add(&digest::map_entry(k, v));
        }
        l
    }
}

fn list_entry(i: usize, x: &Value) -> u128 {
    mix(x.content_hash(), i as u128)
}
fn set_entry(x: &Value) -> u128 {
    mix(x.content_hash(), 0x5E7)
}
fn map_entry(k: &Value, v: &Value) -> u128 {
    mix(k.content_hash(), v.content_hash())
}

impl Hashed<im::Vector<Value>> {
    pub fn of_list(items: im::Vector<Value>) -> Self {
        let sum = items
            .iter()
            .enumerate()
            .fold(0u128, |s, (i, x)| s.wrapping_add(list_entry(i, x)));
        Hashed::new(items, sum)
    }

    pub fn push_back(&mut self, x: Value) {
        if let Some(l) = self.lanes.get_mut() {
            l.add(&digest::list_entry(self.items.len(), &x));
        }
        self.sum = self.sum.wrapping_add(list_entry(self.items.len(), &x));
        self.items.push_back(x);
    }

    /// Replaces element `i` (which must exist).
    pub fn set(&mut self, i: usize, x: Value) {
        if let Some(old) = self.items.get(i) {
            if let Some(l) = self.lanes.get_mut() {
                l.sub(&digest::list_entry(i, old));
                l.add(&digest::list_entry(i, &x));
            }
            self.sum = self
                .sum
                .wrapping_sub(list_entry(i, old))
                .wrapping_add(list_entry(i, &x));
            self.items.set(i, x);
        }
    }

    pub fn append(&mut self, other: &im::Vector<Value>) {
        for x in other.iter() {
            self.push_back(x.clone());
        }
    }
}

impl Hashed<im::OrdSet<Value>> {
    pub fn of_set(items: im::OrdSet<Value>) -> Self {
        let sum = items
            .iter()
            .fold(0u128, |s, x| s.wrapping_add(set_entry(x)));
        Hashed::new(items, sum)
    }

    pub fn insert(&mut self, x: Value) {
        let h = set_entry(&x);
        let entry = self.lanes.get().is_some().then(|| digest::set_entry(&x));
        if self.items.insert(x).is_none() {
            self.sum = self.sum.wrapping_add(h);
            if let (Some(l), Some(e)) = (self.lanes.get_mut(), entry) {
                l.add(&e);
            }
        }
    }

    pub fn remove(&mut self, x: &Value) {
        if self.items.remove(x).is_some() {
            self.sum = self.sum.wrapping_sub(set_entry(x));
            if let Some(l) = self.lanes.get_mut() {
                l.sub(&digest::set_entry(x));
            }
        }
    }
}

impl Hashed<im::OrdMap<Value, Value>> {
    pub fn of_map(items: im::OrdMap<Value, Value>) -> Self {
        let sum = items
            .iter()
            .fold(0u128, |s, (k, v)| s.wrapping_add(map_entry(k, v)));
        Hashed::new(items, sum)
    }

    pub fn insert(&mut self, k: Value, v: Value) {
        let add = map_entry(&k, &v);
        let entry = self
            .lanes
            .get()
            .is_some()
            .then(|| digest::map_entry(&k, &v));
        if let Some(old) = self.items.insert(k.clone(), v) {
            self.sum = self.sum.wrapping_sub(map_entry(&k, &old));
            if let Some(l) = self.lanes.get_mut() {
                l.sub(&digest::map_entry(&k, &old));
            }
        }
        self.sum = self.sum.wrapping_add(add);
        if let (Some(l), Some(e)) = (self.lanes.get_mut(), entry) {
            l.add(&e);
        }
    }

    pub fn remove(&mut self, k: &Value) {
        if let Some(old) = self.items.remove(k) {
            self.sum = self.sum.wrapping_sub(map_entry(k, &old));
            if let Some(l) = self.lanes.get_mut() {
                l.sub(&digest::map_entry(k, &old));
            }
        }
    }
}

const _: () = assert!(std::mem::size_of::<Value>() == 16);
