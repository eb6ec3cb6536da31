//! A load generator for `lexum serve` (benches/serve.sh): N keep-alive
//! clients on loopback, each posting messages one after another on its own
//! connection; prints acknowledged messages per second and the p50/p99
//! acknowledgement latency. Plain HTTP/1.1 over std sockets, so that the
//! client costs as little as possible.
//!
//! `cargo bench --bench serve_load -- HOST:PORT CLIENTS MESSAGES_PER_CLIENT`
//! (`LEXUM_KEYS=PREFIX`: each message with an idempotency key)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn client(addr: &str, n: usize, id: usize, keys: Option<String>) -> Vec<Duration> {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).ok();
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let n = id * 1_000_000 + i;
        let body = if let Some(prefix) = &keys {
            format!(r#"{{"to":"Ledger.hit","args":[{n}],"key":"{prefix}{n}"}}"#)
        } else {
            format!(r#"{{"to":"Ledger.hit","args":[{n}]}}"#)
        };
        let req = format!(
            "POST /v1/messages HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let t = Instant::now();
        writer.write_all(req.as_bytes()).expect("write");
        let mut len = 0usize;
        let mut line = String::new();
        let mut status = 0;
        loop {
            line.clear();
            reader.read_line(&mut line).expect("read");
            if status == 0 {
                status = line
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).expect("body");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        lat.push(t.elapsed());
    }
    lat
}

fn main() {
    let args: Vec<String> = std::env::args().filter(|a| a != "--bench").collect();
    if args.len() < 4 {
        eprintln!("usage: serve_load HOST:PORT CLIENTS MESSAGES_PER_CLIENT");
        return;
    }
    let addr = args[1].clone();
    let clients: usize = args[2].parse().unwrap_or(64);
    let each: usize = args[3].parse().unwrap_or(1000);
    // With LEXUM_KEYS set, every message carries an idempotency key, its
    // value followed by the message's number.
    let keys = std::env::var("LEXUM_KEYS").ok();
    let t = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|id| {
            let addr = addr.clone();
            let keys = keys.clone();
            std::thread::spawn(move || client(&addr, each, id, keys))
        })
        .collect();
    let mut all: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let took = t.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{} messages, {} clients: {:.0} msgs/s, p50 {:.2} ms, p99 {:.2} ms",
        all.len(),
        clients,
        all.len() as f64 / took.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0
    );
}
