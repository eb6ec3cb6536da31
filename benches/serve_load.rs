//! A load generator for `lexum serve` (benches/serve.sh): N keep-alive
//! connections on loopback, each posting messages one after another and
//! waiting for each reply; prints acknowledged messages per second and the
//! p50/p99 acknowledgement latency. Like `redis-benchmark`, it is one
//! event-loop thread (tokio's current-thread runtime), so the client takes
//! as little of the machine as the one Redis is measured with.
//!
//! `cargo bench --bench serve_load -- HOST:PORT CLIENTS MESSAGES_PER_CLIENT`
//! (`LEXUM_KEYS=PREFIX`: each message with an idempotency key)

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

async fn client(addr: String, n: usize, id: usize, keys: Option<String>) -> Vec<Duration> {
    let stream = TcpStream::connect(&addr).await.expect("connect");
    stream.set_nodelay(true).ok();
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut lat = Vec::with_capacity(n);
    let mut line = String::new();
    for i in 0..n {
        let n = id * 1_000_000 + i;
        let body = match &keys {
            Some(prefix) => format!(r#"{{"to":"Ledger.hit","args":[{n}],"key":"{prefix}{n}"}}"#),
            None => format!(r#"{{"to":"Ledger.hit","args":[{n}]}}"#),
        };
        let req = format!(
            "POST /v1/messages HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let t = Instant::now();
        write.write_all(req.as_bytes()).await.expect("write");
        let mut len = 0usize;
        let mut status = 0;
        loop {
            line.clear();
            reader.read_line(&mut line).await.expect("read");
            if status == 0 {
                status = line
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body).await.expect("body");
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
    let keys = std::env::var("LEXUM_KEYS").ok();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let t = Instant::now();
    let mut all: Vec<Duration> = rt.block_on(async {
        let tasks: Vec<_> = (0..clients)
            .map(|id| tokio::spawn(client(addr.clone(), each, id, keys.clone())))
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("client"));
        }
        all
    });
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
