//! The HTTP API of `lexum serve` (axum): JSON under `/v1/`, server-sent
//! events, Prometheus metrics. Handlers check what they can against the
//! program (the handler, its arguments' number and types, sizes, the
//! token) and hand everything else to the engine thread; a bad request is
//! answered with a stable code and never reaches the journal.

use std::sync::{mpsc, Arc};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value as Json_};
use tokio::sync::{broadcast, oneshot, watch};

use super::engine::{Ack, Refused, Request};
use crate::codes::Code;
use crate::diag::Diagnostic;

/// Limits on what a client may send.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest request body, in bytes.
    pub body_bytes: usize,
    /// How long a client may take to send its body.
    pub read_timeout: Duration,
    /// The longest idempotency key, in bytes.
    pub key_bytes: usize,
    /// How long a client may take to send a request's headers.
    pub header_timeout: Duration,
    /// The most connections served at once (more are closed at once).
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 1 << 20,
            read_timeout: Duration::from_secs(10),
            key_bytes: 256,
            header_timeout: Duration::from_secs(10),
            connections: 1024,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    pub requests: mpsc::Sender<Request>,
    pub events: broadcast::Sender<Arc<str>>,
    /// With `--token-file`: the bearer token mutating requests need.
    pub token: Option<Arc<str>>,
    pub limits: Limits,
    /// Turns true when the server stops (ends the event streams).
    pub stopping: watch::Receiver<bool>,
    /// A cluster node's Raft (its messages come to `/raft/*`).
    pub raft: Option<crate::serve::cluster::types::Raft>,
    /// The cluster identity Raft messages must carry (S005).
    pub identity: Option<Arc<str>>,
    /// The node's genesis, which Raft messages must carry (S005).
    pub genesis: Option<crate::serve::cluster::Genesis>,
}

/// The routes.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/v1/messages", post(send))
        .route("/v1/state", get(state_all))
        .route("/v1/state/{domain}", get(state_of))
        .route("/v1/status", get(status))
        .route("/v1/events", get(events))
        .route("/metrics", get(metrics))
        .route("/raft/append", post(raft_append))
        .route("/raft/vote", post(raft_vote))
        .route("/raft/snapshot", post(raft_snapshot))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                Code::S001,
                "no such endpoint (see docs/serve.md)".into(),
            )
        })
        .with_state(app)
}

/// `{"error": {"code", "message"}}` with a status.
fn error(status: StatusCode, code: Code, message: String) -> Response {
    (
        status,
        Json(json!({ "error": { "code": code.as_str(), "message": message } })),
    )
        .into_response()
}

fn refused(d: &Diagnostic) -> Response {
    let status = match d.code {
        Code::S001 => StatusCode::BAD_REQUEST,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, d.code, d.message.clone())
}

fn engine_gone() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        Code::S003,
        "the server is stopping".into(),
    )
}

/// Asks the engine and waits for its answer.
async fn ask<T>(app: &App, make: impl FnOnce(oneshot::Sender<T>) -> Request) -> Option<T> {
    let (tx, rx) = oneshot::channel();
    app.requests.send(make(tx)).ok()?;
    rx.await.ok()
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    to: String,
    #[serde(default)]
    args: Vec<Json_>,
    #[serde(default)]
    key: Option<String>,
}

/// Whether the request carries the token (compared in constant time).
fn authorized(app: &App, headers: &HeaderMap) -> bool {
    let Some(token) = &app.token else {
        return true;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    constant_time_eq::constant_time_eq(given.as_bytes(), token.as_bytes())
}

/// The key's limits; the handler and arguments are checked by the engine,
/// against the program the run is under when the message arrives.
fn check(m: &Message, limits: &Limits) -> Result<(), String> {
    if m.key
        .as_ref()
        .is_some_and(|k| !super::keys::Keys::acceptable(k, limits.key_bytes))
    {
        return Err(format!(
            "the key is longer than {} bytes or holds a control character",
            limits.key_bytes
        ));
    }
    Ok(())
}

/// `POST /v1/messages`: acknowledged once durable.
async fn send(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    if !authorized(&app, &headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            Code::S002,
            "a missing or wrong bearer token".into(),
        );
    }
    let limit = app.limits.body_bytes;
    let bytes = match tokio::time::timeout(
        app.limits.read_timeout,
        axum::body::to_bytes(body, limit),
    )
    .await
    {
        Err(_) => {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                Code::S001,
                format!(
                    "the body did not arrive within {} s",
                    app.limits.read_timeout.as_secs()
                ),
            )
        }
        Ok(Err(_)) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::S001,
                format!("the body is larger than {limit} bytes, or was cut off"),
            )
        }
        Ok(Ok(b)) => b,
    };
    let m: Message = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                Code::S001,
                format!("{e}; a message is {{\"to\": \"Domain.handler\", \"args\": [...], \"key\": \"...\"}}"),
            )
        }
    };
    if let Err(why) = check(&m, &app.limits) {
        return error(StatusCode::BAD_REQUEST, Code::S001, why);
    }
    let Message { to, args, key } = m;
    match ask(&app, |reply| Request::Send {
        to,
        args,
        key,
        reply,
    })
    .await
    {
        Some(Ok(Ack { seq, duplicate })) => {
            Json(json!({ "seq": seq, "duplicate": duplicate })).into_response()
        }
        Some(Err(Refused(d))) if d.code == Code::S004 => not_leader(&app, &d),
        Some(Err(Refused(d))) => refused(&d),
        None => engine_gone(),
    }
}

/// S004 with the leader's URL beside the message (`"leader"`), when this
/// node knows another node leads, so that a client can follow it.
fn not_leader(app: &App, d: &Diagnostic) -> Response {
    let leader = app.raft.as_ref().and_then(|raft| {
        let m = raft.metrics().borrow().clone();
        let id = m.current_leader.filter(|id| *id != m.id)?;
        let node = m.membership_config.membership().get_node(&id)?;
        Some(format!("http://{}", node.addr))
    });
    let mut body = json!({ "error": { "code": d.code.as_str(), "message": d.message } });
    if let Some(url) = leader {
        body["error"]["leader"] = Json_::String(url);
    }
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

async fn state(app: App, domain: Option<String>) -> Response {
    let name = domain.clone();
    match ask(&app, |reply| Request::State { domain, reply }).await {
        Some(Some(j)) => Json(j).into_response(),
        Some(None) => error(
            StatusCode::NOT_FOUND,
            Code::S001,
            format!("no domain `{}`", name.unwrap_or_default()),
        ),
        None => engine_gone(),
    }
}

async fn state_all(State(app): State<App>) -> Response {
    state(app, None).await
}

async fn state_of(State(app): State<App>, Path(domain): Path<String>) -> Response {
    state(app, Some(domain)).await
}

async fn status(State(app): State<App>) -> Response {
    match ask(&app, |reply| Request::Status { reply }).await {
        Some(j) => Json(j).into_response(),
        None => engine_gone(),
    }
}

async fn metrics(State(app): State<App>) -> Response {
    match ask(&app, |reply| Request::Metrics { reply }).await {
        Some(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        None => engine_gone(),
    }
}

/// `GET /v1/events`: one event per committed cycle (and per yield), as JSON;
/// a client too slow to keep up is told how many it missed.
async fn events(State(app): State<App>) -> Response {
    let rx = app.events.subscribe();
    let stop = app.stopping.clone();
    let stream = futures_util::stream::unfold((rx, stop), |(mut rx, mut stop)| async move {
        if *stop.borrow() {
            return None;
        }
        let event = tokio::select! {
            r = rx.recv() => match r {
                Ok(s) => Event::default().data(&*s),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    Event::default().comment(format!("missed {n} events"))
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            },
            _ = stop.changed() => return None,
        };
        Some((Ok::<_, std::convert::Infallible>(event), (rx, stop)))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Checks a Raft message's origin and body: `Err` is the reply.
fn raft_request<T: serde::de::DeserializeOwned>(
    app: &App,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(crate::serve::cluster::types::Raft, T), Box<Response>> {
    let Some(raft) = app.raft.clone() else {
        return Err(Box::new(error(
            StatusCode::NOT_FOUND,
            Code::S001,
            "this server is not a cluster node".into(),
        )));
    };
    if !authorized(app, headers) {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            Code::S002,
            "a missing or wrong bearer token".into(),
        )));
    }
    let given = headers
        .get(crate::serve::cluster::network::IDENTITY_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if app.identity.as_deref() != Some(given) {
        return Err(Box::new(error(
            StatusCode::CONFLICT,
            Code::S005,
            "the sender runs with other settings than this node".into(),
        )));
    }
    let theirs = headers
        .get(crate::serve::cluster::network::GENESIS_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mine = app.genesis.as_ref().map_or("", |g| g.get());
    if theirs != mine {
        return Err(Box::new(error(
            StatusCode::CONFLICT,
            Code::S005,
            format!(
                "the sender's run began with the program with sha256 {theirs}, this node's with {mine} (docs/cluster.md, upgrades)"
            ),
        )));
    }
    let req = serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            Code::S001,
            format!("an unreadable Raft message: {e}"),
        ))
    })?;
    Ok((raft, req))
}

async fn raft_append(
    State(app): State<App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match raft_request(&app, &headers, &body) {
        Ok((raft, req)) => Json(raft.append_entries(req).await).into_response(),
        Err(r) => *r,
    }
}

async fn raft_vote(
    State(app): State<App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match raft_request(&app, &headers, &body) {
        Ok((raft, req)) => Json(raft.vote(req).await).into_response(),
        Err(r) => *r,
    }
}

async fn raft_snapshot(
    State(app): State<App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match raft_request(&app, &headers, &body) {
        Ok((raft, req)) => Json(raft.install_snapshot(req).await).into_response(),
        Err(r) => *r,
    }
}
