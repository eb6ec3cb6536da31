//! Cycle records in two steps: the scheduler's thread only *encodes* each
//! cycle into a compact binary record (a few dozen bytes, no allocation),
//! and a writer thread *transcodes* batches of records into the trace's JSON.
//! `--verify` uses the same two steps, so recorder and verifier cannot drift.

use super::format::FailureJson;
use crate::runtime::hash::encode_value;
use crate::runtime::observe::CycleRecord;
use crate::runtime::queue::EventKind;

fn u32le(buf: &mut Vec<u8>, x: u32) {
    buf.extend_from_slice(&x.to_le_bytes());
}

fn u64le(buf: &mut Vec<u8>, x: u64) {
    buf.extend_from_slice(&x.to_le_bytes());
}

fn bytes(buf: &mut Vec<u8>, s: &[u8]) {
    u32le(buf, s.len() as u32);
    buf.extend_from_slice(s);
}

/// Appends one cycle's binary record.
pub fn encode(buf: &mut Vec<u8>, r: &CycleRecord<'_>, checkpoint: Option<&str>) {
    buf.reserve(96);
    u64le(buf, r.cycle);
    u64le(buf, r.tick as u64);
    match &r.event.kind {
        EventKind::Message { handler, args } => {
            buf.push(0);
            u32le(buf, *handler);
            u32le(buf, args.len() as u32);
            for a in args {
                encode_value(buf, a);
            }
        }
        EventKind::Repair { goal } => {
            buf.push(1);
            u32le(buf, *goal);
        }
    }
    u64le(buf, r.event.cause);
    u32le(buf, r.event.root.unwrap_or(u32::MAX));
    u32le(buf, r.event.retry);
    match r.failure {
        None => buf.push(0),
        Some(f) => {
            buf.push(1);
            buf.push(r.retried as u8);
            bytes(buf, f.kind.name().as_bytes());
            bytes(buf, f.kind.to_string().as_bytes());
            u64le(buf, f.span.start as u64);
            u64le(buf, f.span.end as u64);
        }
    }
    u32le(buf, r.writes.len() as u32);
    for w in r.writes {
        u32le(buf, w.var);
        encode_value(buf, &w.old);
        encode_value(buf, &w.new);
    }
    u32le(buf, r.sends.len() as u32);
    for s in r.sends {
        u32le(buf, s.handler);
        u32le(buf, s.args.len() as u32);
        for a in &s.args {
            encode_value(buf, a);
        }
        u64le(buf, r.send_tick + s.after);
    }
    u32le(buf, r.goals.len() as u32);
    for (g, holds) in r.goals {
        u32le(buf, *g);
        buf.push(*holds as u8);
    }
    match checkpoint {
        None => buf.push(0),
        // The hash arrives later on the writer's channel.
        Some("") => buf.push(2),
        Some(h) => {
            buf.push(1);
            bytes(buf, h.as_bytes());
        }
    }
}

/// A cursor over binary records; every read checks its bounds.
struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Some(h)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// Writes an integer's digits byte by byte: most are short, and pushing a
/// few bytes beats a `memcpy` call per number.
fn int(out: &mut Vec<u8>, i: impl Into<i64>) {
    let i: i64 = i.into();
    let mut v = i.unsigned_abs();
    let mut tmp = [0u8; 20];
    let mut n = tmp.len();
    loop {
        n -= 1;
        tmp[n] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if i < 0 {
        out.push(b'-');
    }
    for &d in &tmp[n..] {
        out.push(d);
    }
}

/// Transcodes one encoded value (see `runtime::hash::encode_value`) to JSON.
fn value(r: &mut Reader<'_>, out: &mut Vec<u8>) -> Option<()> {
    match r.u8()? {
        1 => int(out, r.u64()? as i64),
        2 => out.extend_from_slice(if r.u8()? != 0 { b"true" } else { b"false" }),
        3 => {
            let s = std::str::from_utf8(r.bytes()?).ok()?;
            serde_json::to_writer(&mut *out, s).ok()?;
        }
        tag @ (4..=6) => {
            let n = r.u32()?;
            out.extend_from_slice(match tag {
                4 => b"[".as_slice(),
                5 => b"{\"set\":[",
                _ => b"{\"map\":[",
            });
            for i in 0..n {
                if i > 0 {
                    out.push(b',');
                }
                if tag == 6 {
                    out.push(b'[');
                    value(r, out)?;
                    out.push(b',');
                    value(r, out)?;
                    out.push(b']');
                } else {
                    value(r, out)?;
                }
            }
            out.extend_from_slice(if tag == 4 { b"]" } else { b"]}" });
        }
        _ => return None,
    }
    Some(())
}

fn values(r: &mut Reader<'_>, out: &mut Vec<u8>) -> Option<()> {
    let n = r.u32()?;
    out.push(b'[');
    for i in 0..n {
        if i > 0 {
            out.push(b',');
        }
        value(r, out)?;
    }
    out.push(b']');
    Some(())
}

/// Reads a count, then (if it is not 0) writes `prefix`, that many
/// `[...]` items separated by commas, and the closing `]`.
fn list(
    r: &mut Reader<'_>,
    out: &mut Vec<u8>,
    prefix: &[u8],
    item: impl Fn(&mut Reader<'_>, &mut Vec<u8>) -> Option<()>,
) -> Option<()> {
    let n = r.u32()?;
    if n == 0 {
        return Some(());
    }
    out.extend_from_slice(prefix);
    for i in 0..n {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'[');
        item(r, out)?;
        out.push(b']');
    }
    out.push(b']');
    Some(())
}

/// Transcodes the next record at the front of `input` into one cycle's JSON
/// (exactly as serde would write its `CycleJson`), advancing `input`.
pub fn transcode(input: &mut &[u8], out: &mut Vec<u8>) -> Option<()> {
    transcode_with(input, out, &mut || None)
}

/// [`transcode`], taking checkpoint hashes that were sent separately from
/// `pending` (in cycle order).
pub fn transcode_with(
    input: &mut &[u8],
    out: &mut Vec<u8>,
    pending: &mut dyn FnMut() -> Option<String>,
) -> Option<()> {
    let mut r = Reader { b: input };
    out.reserve(256);
    out.extend_from_slice(b"{\"n\":");
    int(out, r.u64()? as i64);
    out.extend_from_slice(b",\"t\":");
    int(out, r.u64()? as i64);
    match r.u8()? {
        0 => {
            out.extend_from_slice(b",\"e\":{\"m\":");
            int(out, r.u32()? as i64);
            out.extend_from_slice(b",\"a\":");
            values(&mut r, out)?;
            out.push(b'}');
        }
        _ => {
            out.extend_from_slice(b",\"e\":{\"r\":");
            int(out, r.u32()? as i64);
            out.push(b'}');
        }
    }
    out.extend_from_slice(b",\"c\":");
    int(out, r.u64()? as i64);
    let root = r.u32()?;
    if root != u32::MAX {
        out.extend_from_slice(b",\"g\":");
        int(out, root as i64);
    }
    let retry = r.u32()?;
    if retry > 0 {
        out.extend_from_slice(b",\"r\":");
        int(out, retry as i64);
    }
    if r.u8()? == 1 {
        let retried = r.u8()? != 0;
        let k = String::from_utf8_lossy(r.bytes()?).into_owned();
        let m = String::from_utf8_lossy(r.bytes()?).into_owned();
        let s = [r.u64()? as usize, r.u64()? as usize];
        out.extend_from_slice(b",\"f\":");
        serde_json::to_writer(&mut *out, &FailureJson { k, m, s, retried }).ok()?;
    }
    // Writes `[var, old, new]`, sends `[handler, args, due]`, goal changes `[goal, holds]`.
    list(&mut r, out, b",\"w\":[", |r, out| {
        int(out, r.u32()? as i64);
        out.push(b',');
        value(r, out)?;
        out.push(b',');
        value(r, out)
    })?;
    list(&mut r, out, b",\"s\":[", |r, out| {
        int(out, r.u32()? as i64);
        out.push(b',');
        values(r, out)?;
        out.push(b',');
        int(out, r.u64()? as i64);
        Some(())
    })?;
    list(&mut r, out, b",\"q\":[", |r, out| {
        int(out, r.u32()? as i64);
        out.extend_from_slice(if r.u8()? != 0 { b",true" } else { b",false" });
        Some(())
    })?;
    let checkpoint = match r.u8()? {
        1 => Some(r.bytes()?.to_vec()),
        2 => Some(pending()?.into_bytes()),
        _ => None,
    };
    if let Some(h) = checkpoint {
        out.extend_from_slice(b",\"h\":\"");
        out.extend_from_slice(&h);
        out.push(b'"');
    }
    out.push(b'}');
    *input = r.b;
    Some(())
}
