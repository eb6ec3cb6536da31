//! One framed record: `len: u32 LE`, `crc32(payload): u32 LE`, `payload`.

/// Bytes before the payload.
pub const HEADER: usize = 8;

/// Records larger than this are refused when written, and a length field
/// above it is corruption when read (a torn length cannot be this large by
/// chance unless bytes were damaged).
pub const MAX_PAYLOAD: usize = 64 << 20;

/// Appends the frame of `payload` to `out`.
pub fn encode(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// A record read back, with where it starts in its segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub offset: u64,
    pub payload: Vec<u8>,
}

/// Why the bytes at `offset` are not a whole, intact record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The bytes end inside the header or the payload: a write cut short.
    Torn { offset: u64 },
    /// The length is impossible or the checksum does not match.
    Corrupt { offset: u64 },
}

/// Decodes every record in `bytes`; stops at the first bad one.
pub fn decode_all(bytes: &[u8]) -> (Vec<Frame>, Option<FrameError>) {
    let mut frames = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let offset = at as u64;
        if bytes.len() - at < HEADER {
            return (frames, Some(FrameError::Torn { offset }));
        }
        let len =
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        let crc = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
        if len > MAX_PAYLOAD {
            return (frames, Some(FrameError::Corrupt { offset }));
        }
        let start = at + HEADER;
        if bytes.len() - start < len {
            return (frames, Some(FrameError::Torn { offset }));
        }
        let payload = &bytes[start..start + len];
        if crc32fast::hash(payload) != crc {
            return (frames, Some(FrameError::Corrupt { offset }));
        }
        frames.push(Frame {
            offset,
            payload: payload.to_vec(),
        });
        at = start + len;
    }
    (frames, None)
}
