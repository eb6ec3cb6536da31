//! The journal's storage layer: framed records in segments. A torn tail at
//! any byte is detected and never yields a partial record; flipped bytes are
//! detected; nothing synced is lost; errors have codes.

mod support;

use lexum::codes::Code;
use lexum::journal::{inspect, Tail, Writer};
use proptest::prelude::*;

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lexum-journal-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn payloads(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("effect result {i}: {}", "x".repeat(i % 7)).into_bytes())
        .collect()
}

fn write(d: &std::path::Path, records: &[Vec<u8>], segment_bytes: u64) {
    let mut w = Writer::open(d, segment_bytes).unwrap();
    for r in records {
        w.append(r).unwrap();
        w.sync().unwrap();
    }
}

#[test]
fn records_round_trip_across_segments() {
    let d = dir("roundtrip");
    let recs = payloads(50);
    write(&d, &recs, 256);
    let i = inspect(&d).unwrap();
    assert_eq!(i.records, recs);
    assert_eq!(i.tail, Tail::Clean);
    assert!(
        i.segments.len() > 3,
        "small segments roll over: {:?}",
        i.segments
    );
    // Reopening appends after what is there.
    write(&d, &payloads(3), 256);
    assert_eq!(inspect(&d).unwrap().records.len(), 53);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_torn_last_record_at_every_byte_is_detected_and_dropped() {
    let d = dir("torn");
    let recs = payloads(5);
    write(&d, &recs, 1 << 20);
    let seg = d.join(lexum::journal::segment::segment_name(1));
    let full = std::fs::read(&seg).unwrap();
    let last_len = 8 + recs[4].len();
    let start = full.len() - last_len;
    for cut in start..full.len() {
        std::fs::write(&seg, &full[..cut]).unwrap();
        let i = inspect(&d).unwrap();
        assert_eq!(i.records, recs[..4].to_vec(), "cut at {cut}");
        if cut == start {
            assert_eq!(i.tail, Tail::Clean);
        } else {
            assert_eq!(
                i.tail,
                Tail::Torn {
                    segment: 1,
                    offset: start as u64
                },
                "cut at {cut}"
            );
        }
    }
    // A writer opened on a torn log cuts the torn record off and goes on.
    std::fs::write(&seg, &full[..full.len() - 3]).unwrap();
    write(&d, &[b"after".to_vec()], 1 << 20);
    let i = inspect(&d).unwrap();
    assert_eq!(i.tail, Tail::Clean);
    assert_eq!(i.records.last().unwrap(), b"after");
    assert_eq!(i.records.len(), 5);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn missing_directories_and_unwritable_paths_have_codes() {
    let d = dir("missing");
    let e = inspect(&d.join("nope")).unwrap_err();
    assert_eq!(e.code(), Code::J001);
    // A "directory" that is a file cannot hold a journal.
    std::fs::create_dir_all(&d).unwrap();
    let file = d.join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let e = Writer::open(&file, 1024).err().unwrap();
    assert_eq!(e.code(), Code::J001);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn inspect_cli_reports_the_tail() {
    let d = dir("cli");
    write(&d, &payloads(4), 1 << 20);
    let p = d.to_str().unwrap().to_string();
    let out = support::lexum(&["journal", "inspect", &p]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("records: 4\ntail: clean"), "{text}");
    let seg = d.join(lexum::journal::segment::segment_name(1));
    let mut bytes = std::fs::read(&seg).unwrap();
    let n = bytes.len();
    bytes[n - 2] ^= 0xFF;
    std::fs::write(&seg, &bytes).unwrap();
    let out = support::lexum(&["journal", "inspect", &p]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("records: 3\ntail: corrupt (error[J004]"),
        "{text}"
    );
    assert_eq!(
        support::lexum(&["journal", "inspect", "/no/such/dir"])
            .status
            .code(),
        Some(3)
    );
    let _ = std::fs::remove_dir_all(d);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// A flipped byte anywhere is detected: what is returned is always a
    /// prefix of what was written, never a damaged record.
    #[test]
    fn flipped_bytes_never_yield_a_wrong_record(at in any::<usize>(), mask in 1u8..=255) {
        let d = dir(&format!("flip-{at}-{mask}"));
        let recs = payloads(8);
        write(&d, &recs, 1 << 20);
        let seg = d.join(lexum::journal::segment::segment_name(1));
        let mut bytes = std::fs::read(&seg).unwrap();
        let i = at % bytes.len();
        bytes[i] ^= mask;
        std::fs::write(&seg, &bytes).unwrap();
        let found = inspect(&d).unwrap();
        prop_assert!(found.records.len() < recs.len(), "the damage was noticed");
        prop_assert_eq!(&found.records[..], &recs[..found.records.len()]);
        prop_assert!(found.tail != Tail::Clean);
        let _ = std::fs::remove_dir_all(d);
    }
}
