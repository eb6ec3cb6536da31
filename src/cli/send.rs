//! `lexum send` and `lexum status`: the command-line client of `lexum serve`.

use std::time::Duration;

use serde_json::{json, Value as Json};

use super::exit;

/// Where the server listens unless told otherwise.
const DEFAULT_URL: &str = "http://127.0.0.1:7878";

#[derive(clap::Args, Debug)]
pub struct SendArgs {
    /// The handler to send to.
    #[arg(value_name = "Domain.handler")]
    handler: String,
    /// Arguments, each as JSON (`3`, `true`, `'"text"'`, `'[1, 2]'`); a word
    /// that is not JSON is taken as a string.
    #[arg(allow_negative_numbers = true)]
    args: Vec<String>,
    /// The server.
    #[arg(long = "to", value_name = "URL", default_value = DEFAULT_URL)]
    url: String,
    /// An idempotency key: sending the same key again is acknowledged
    /// without delivering the message twice.
    #[arg(long)]
    key: Option<String>,
    /// The bearer token's file, for a server started with `--token-file`.
    #[arg(long, value_name = "F")]
    token_file: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The server.
    #[arg(long = "to", value_name = "URL", default_value = DEFAULT_URL)]
    url: String,
}

#[derive(clap::Args, Debug)]
pub struct StateArgs {
    /// One domain's variables (all when left out).
    domain: Option<String>,
    /// The server.
    #[arg(long = "to", value_name = "URL", default_value = DEFAULT_URL)]
    url: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A reply's status and body (or the exit code, once reported, of a
/// server that could not be reached).
fn read(
    reply: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    url: &str,
) -> Result<(u16, String), i32> {
    match reply {
        Ok(mut r) => Ok((
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        )),
        Err(e) => {
            super::fail(lexum::Code::L001, format!("cannot reach `{url}`: {e}"));
            Err(exit::USAGE)
        }
    }
}

/// Prints a reply: the body on stdout when it succeeded, the error as a
/// diagnostic otherwise.
fn finish(reply: Result<ureq::http::Response<ureq::Body>, ureq::Error>, url: &str) -> i32 {
    match read(reply, url) {
        Ok((status, body)) => report(status, &body),
        Err(code) => code,
    }
}

fn report(status: u16, body: &str) -> i32 {
    if (200..300).contains(&status) {
        super::out(&format!("{}\n", body.trim_end()));
        return exit::OK;
    }
    let j: Json = serde_json::from_str(body).unwrap_or(Json::Null);
    let code = j["error"]["code"]
        .as_str()
        .and_then(|c| c.parse().ok())
        .unwrap_or(lexum::Code::S001);
    let message = j["error"]["message"].as_str().unwrap_or(body.trim());
    super::fail(code, format!("the server answered {status}: {message}"));
    exit::REJECTED
}

pub fn send(args: SendArgs) -> i32 {
    let token = match args
        .token_file
        .as_deref()
        .map(super::serve::read_token)
        .transpose()
    {
        Ok(t) => t,
        Err(d) => {
            super::report(&d);
            return exit::USAGE;
        }
    };
    let values: Vec<Json> = args
        .args
        .iter()
        .map(|a| serde_json::from_str(a).unwrap_or_else(|_| Json::String(a.clone())))
        .collect();
    let mut body = json!({ "to": args.handler, "args": values });
    if let Some(k) = args.key {
        body["key"] = Json::String(k);
    }
    let agent = agent();
    let mut base = args.url.trim_end_matches('/').to_string();
    let keyed = body.get("key").is_some();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut hops = 0;
    loop {
        let url = format!("{base}/v1/messages");
        let mut req = agent.post(&url);
        if let Some(t) = &token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        let (status, text) = match read(req.send_json(&body), &url) {
            Ok(r) => r,
            Err(code) => return code,
        };
        let j: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
        if status == 503 && j["error"]["code"] == "S004" {
            // A cluster node that does not lead names the leader: the
            // message goes there (a few hops at most, as leadership moves).
            if let Some(leader) = j["error"]["leader"].as_str().filter(|_| hops < 5) {
                hops += 1;
                base = leader.trim_end_matches('/').to_string();
                continue;
            }
            // Not committed in time, or no leader yet: sent again with the
            // same key, it is applied once (without a key a retry could
            // deliver it twice, so it is not retried).
            if keyed && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(300));
                continue;
            }
        }
        return report(status, &text);
    }
}

pub fn status(args: StatusArgs) -> i32 {
    let url = format!("{}/v1/status", args.url.trim_end_matches('/'));
    finish(agent().get(&url).call(), &url)
}

pub fn state(args: StateArgs) -> i32 {
    let base = args.url.trim_end_matches('/');
    let url = match &args.domain {
        Some(d) => format!("{base}/v1/state/{d}"),
        None => format!("{base}/v1/state"),
    };
    finish(agent().get(&url).call(), &url)
}
