//! `lexum serve`: a program run as a live control plane. The engine thread
//! ([`engine`]) owns the runtime and the journal; the HTTP side ([`http`],
//! axum on a small tokio runtime) checks requests and passes them on. Every
//! input is durable in the journal before it is acknowledged or applied, so
//! a restart on the same journal resumes exactly (docs/serve.md).

pub mod cluster;
pub mod engine;
pub mod http;
pub mod http_effect;
pub mod keys;
pub mod verify;

use std::sync::Arc;

use crate::codes::Code;
use crate::diag::Diagnostic;
use crate::ir::Program;
use crate::runtime::effects::Effects;

/// Where and how to listen.
pub struct Listen {
    /// `HOST:PORT`; port 0 picks a free one.
    pub addr: String,
    pub token: Option<String>,
    pub limits: http::Limits,
    /// One node of a cluster (`--node-id`, `--peers`).
    pub cluster: Option<cluster::Membership>,
    /// The cluster identity Raft messages must carry.
    pub identity: Option<String>,
}

/// Runs the server until SIGTERM or Ctrl-C: opens the journal and recovers,
/// listens, calls `ready` with the address it listens on, then serves. On a
/// signal it stops accepting, lets the engine finish its cycle and write a
/// snapshot, and returns. `Err` when it could not start (or the engine
/// stopped on its own), with why.
pub fn run(
    config: engine::Config,
    program: Arc<Program>,
    bind: Box<dyn FnOnce() -> Box<dyn Effects> + Send>,
    listen: Listen,
    ready: impl FnOnce(std::net::SocketAddr, &[Diagnostic], Option<&crate::runtime::Upgraded>),
) -> Result<(), Vec<Diagnostic>> {
    release_large_allocations();
    // One thread serves HTTP (fewer hand-overs: BENCHMARKS.md); a cluster
    // node also runs Raft, on two.
    let mut builder = if listen.cluster.is_some() {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let tokio = builder
        .enable_all()
        .thread_name("lexum-http")
        .build()
        .map_err(|e| {
            vec![Diagnostic::plain(
                Code::L001,
                format!("cannot start the HTTP runtime: {e}"),
            )]
        })?;
    let (handle, raft) = match listen.cluster.clone() {
        Some(member) => {
            let (h, r) = cluster::start_node(config, program.clone(), bind, member, &tokio)?;
            (h, Some(r))
        }
        None => (engine::start(config, program.clone(), bind)?, None),
    };
    let requests = handle.requests.clone();
    let served = tokio.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen.addr)
            .await
            .map_err(|e| {
                vec![Diagnostic::plain(
                    Code::L002,
                    format!("cannot listen on `{}`: {e}", listen.addr),
                )]
            })?;
        let addr = listener.local_addr().map_err(|e| {
            vec![Diagnostic::plain(
                Code::L002,
                format!("cannot listen on `{}`: {e}", listen.addr),
            )]
        })?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let app = http::App {
            requests: requests.clone(),
            events: handle.events.clone(),
            token: listen.token.map(Arc::from),
            limits: listen.limits,
            stopping: stop_rx,
            raft: raft.clone(),
            identity: listen.identity.clone().map(Arc::from),
            genesis: listen.cluster.as_ref().map(|m| m.genesis.clone()),
        };
        ready(addr, &handle.warnings, handle.upgraded.as_ref());
        let shutdown = async move {
            signal().await;
            let _ = stop_tx.send(true);
            let _ = requests.send(engine::Request::Shutdown);
        };
        accept_loop(listener, http::router(app), listen.limits, shutdown).await;
        Ok::<(), Vec<Diagnostic>>(())
    });
    // The engine finishes its cycle and writes its snapshot.
    let _ = handle.requests.send(engine::Request::Shutdown);
    let engine = handle.thread.join().unwrap_or_else(|_| {
        Err(vec![Diagnostic::plain(
            Code::L001,
            "the engine thread failed (this is a bug in lexum)",
        )])
    });
    if let Some(r) = raft {
        let _ = tokio.block_on(r.shutdown());
    }
    tokio.shutdown_timeout(std::time::Duration::from_secs(1));
    served.and(engine)
}

/// A long-running process encodes a snapshot now and then (megabytes for a
/// large state or key window). glibc raises its mmap threshold after such a
/// buffer is freed, so the next ones come from the heap and stay resident:
/// measured, 1M keyed messages left 490 MB resident instead of 134 MB. A
/// fixed threshold keeps large buffers mapped, and returned when freed.
fn release_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning; called before
    // the server's threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Accepts connections until `shutdown` resolves, each served by hyper with
/// a header timeout (a client that sends its headers slowly is cut off)
/// and at most `limits.connections` at once; then stops accepting and
/// gives open connections 5 s to finish.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: http::Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    continue; // over the limit: dropped, so closed
                };
                let _ = stream.set_nodelay(true);
                let service = hyper_util::service::TowerToHyperService::new(router.clone());
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(permit);
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), graceful.shutdown()).await;
}

/// Resolves on Ctrl-C or SIGTERM.
async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
