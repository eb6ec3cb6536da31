//! `lexum serve`: run a program as a live control plane (docs/serve.md).

use std::sync::Arc;

use lexum::check_source;
use lexum::diag::render;
use lexum::journal::run::SyncPolicy;
use lexum::serve::{engine, http, keys, Listen};

use super::{exit, source};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The program.
    file: String,
    /// The journal directory: created if missing, resumed if not.
    #[arg(long, value_name = "DIR")]
    journal: String,
    /// Where to listen (port 0 picks a free one). In a cluster: this
    /// node's entry in `--peers`.
    #[arg(long, value_name = "HOST:PORT")]
    listen: Option<String>,
    /// This node's id in a cluster (with `--peers`).
    #[arg(long, value_name = "N", requires = "peers")]
    node_id: Option<u64>,
    /// Every node of the cluster, this one included: `1=HOST:PORT,2=...`
    /// (docs/cluster.md).
    #[arg(long, value_name = "ID=HOST:PORT,...", requires = "node_id")]
    peers: Option<String>,
    /// When a message counts as durable: `always` fsyncs before the reply
    /// (messages arriving together share one fsync); `batch` writes it to
    /// the operating system before the reply and fsyncs every 64 records.
    #[arg(long, value_enum, default_value_t = Sync::Always)]
    sync: Sync,
    /// Real milliseconds per logical tick while the run waits for a timer or
    /// a retry.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    tick_ms: u64,
    #[command(flatten)]
    sim: super::run::SimFlags,
    /// Bind an effect to a command (as `lexum run --effect`), or to a URL
    /// (`NAME=http://HOST:PORT/PATH`: a POST per call, docs/serve.md).
    #[arg(long, value_name = "NAME=BINDING")]
    effect: Vec<String>,
    /// How long one `--effect` command may take, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = lexum::runtime::subprocess::DEFAULT_TIMEOUT.as_millis() as u64)]
    effect_timeout: u64,
    /// Require `Authorization: Bearer <token>` on messages; the token is the
    /// file's first line.
    #[arg(long, value_name = "F")]
    token_file: Option<String>,
    /// How many idempotency keys to remember (the most recent).
    #[arg(long, value_name = "N", default_value_t = keys::DEFAULT_KEYS)]
    keys: usize,
    /// Cycles between snapshots.
    #[arg(long, value_name = "N", default_value_t = lexum::journal::session::DEFAULT_SNAPSHOT_EVERY)]
    snapshot_every: u64,
    /// Continue a journal written by another version of the program under
    /// this one: variables that keep their name and type keep their values.
    #[arg(long)]
    upgrade: bool,
    /// Raft entries between a cluster's snapshots (then the log before
    /// them is dropped).
    #[arg(long, value_name = "N", default_value_t = lexum::serve::cluster::DEFAULT_SNAPSHOT_LOGS)]
    raft_snapshot_logs: u64,
    /// How long a client may take to send a request's headers (tests).
    #[arg(long, hide = true, default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// The most events the queue may hold (more halts the run: E006).
    #[arg(long, default_value_t = lexum::runtime::DEFAULT_MAX_QUEUE)]
    max_queue: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Sync {
    Always,
    Batch,
}

/// Reads a token file's first line.
pub(super) fn read_token(path: &str) -> Result<String, Box<lexum::Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Box::new(lexum::Diagnostic::plain(
            lexum::Code::L001,
            format!("cannot read `{path}`: {e}"),
        ))
    })?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.is_empty() {
        return Err(Box::new(lexum::Diagnostic::plain(
            lexum::Code::L002,
            format!("the token file `{path}` is empty"),
        )));
    }
    Ok(token)
}

/// The cluster membership, identity and listening address from the flags.
#[allow(clippy::type_complexity)]
fn cluster_membership(
    args: &Args,
    config: &engine::Config,
    token: Option<String>,
) -> Result<
    (
        Option<lexum::serve::cluster::Membership>,
        Option<String>,
        String,
    ),
    Box<lexum::Diagnostic>,
> {
    use lexum::serve::cluster;
    let usage = |m: String| Box::new(lexum::Diagnostic::plain(lexum::Code::L002, m));
    let (Some(id), Some(peers)) = (args.node_id, args.peers.as_deref()) else {
        let addr = args
            .listen
            .clone()
            .unwrap_or_else(|| "127.0.0.1:7878".into());
        return Ok((None, None, addr));
    };
    let peers = cluster::parse_peers(peers).map_err(|e| usage(format!("--peers: {e}")))?;
    let Some(own) = peers.get(&id).cloned() else {
        return Err(usage(format!("--node-id {id} is not in --peers")));
    };
    if args.listen.as_ref().is_some_and(|l| *l != own) {
        return Err(usage(format!(
            "--listen must be this node's entry in --peers (`{own}`)"
        )));
    }
    let dir = std::path::Path::new(&args.journal).join("raft");
    let identity = cluster::identity(&config.settings);
    std::fs::create_dir_all(&dir).map_err(|e| {
        Box::new(lexum::Diagnostic::plain(
            lexum::Code::J001,
            format!("cannot create `{}`: {e}", dir.display()),
        ))
    })?;
    let storage: Arc<dyn lexum::journal::Storage> =
        Arc::new(lexum::journal::FileStorage::new(&dir));
    let genesis = cluster::Genesis::open(storage.clone(), &config.source)
        .map_err(|e| Box::new(lexum::Diagnostic::plain(lexum::Code::J001, e)))?;
    let member = cluster::Membership {
        node_id: id,
        peers,
        storage,
        network: cluster::network::Network::Http {
            identity: identity.clone().into(),
            token: token.map(Into::into),
            genesis: genesis.clone(),
        },
        snapshot_logs: args.raft_snapshot_logs,
        genesis,
    };
    Ok((Some(member), Some(identity), own))
}

pub fn run(args: Args) -> i32 {
    let Some(settings) = args.sim.settings(u64::MAX, args.max_queue, true) else {
        return exit::USAGE;
    };
    let token = match args.token_file.as_deref().map(read_token).transpose() {
        Ok(t) => t,
        Err(d) => {
            super::report(&d);
            return exit::USAGE;
        }
    };
    let file = match source::read(&args.file) {
        Ok(f) => f,
        Err(d) => {
            super::report(&d);
            return exit::USAGE;
        }
    };
    let checked = check_source(&file.text);
    let (Some(program), None) = (checked.program, &file.encoding_error) else {
        let mut diags = checked.diagnostics;
        diags.extend(file.encoding_error.clone());
        super::err(&render::render_text(&diags, &file.name, &file.text, false));
        return exit::REJECTED;
    };
    let program = Arc::new(program);
    let commands = if args.effect.is_empty() {
        Default::default()
    } else {
        match lexum::runtime::subprocess::parse_bindings(&args.effect, &program) {
            Ok(c) => c,
            Err(d) => {
                super::report(&d);
                return exit::USAGE;
            }
        }
    };
    let fallback_settings = settings.clone();
    let timeout = std::time::Duration::from_millis(args.effect_timeout);
    let (urls, commands): (
        std::collections::BTreeMap<_, _>,
        std::collections::BTreeMap<_, _>,
    ) = commands
        .into_iter()
        .partition(|(_, b): &(String, String)| lexum::serve::http_effect::HttpEffects::is_url(b));
    let bind = Box::new(move || -> Box<dyn lexum::Effects> {
        let mut binding = fallback_settings.binding();
        if !commands.is_empty() {
            binding = Box::new(lexum::runtime::subprocess::Subprocess {
                commands,
                fallback: binding,
                timeout,
            });
        }
        if !urls.is_empty() {
            binding = Box::new(lexum::serve::http_effect::HttpEffects::new(
                urls, binding, timeout,
            ));
        }
        binding
    });
    let config = engine::Config {
        storage: Arc::new(lexum::journal::FileStorage::new(std::path::Path::new(
            &args.journal,
        ))),
        source: file.text.clone(),
        settings,
        policy: match args.sync {
            Sync::Always => SyncPolicy::Always,
            Sync::Batch => SyncPolicy::Batch,
        },
        tick_ms: args.tick_ms,
        keys: args.keys,
        snapshot_every: args.snapshot_every,
        upgrade: args.upgrade,
        cluster: args.node_id.is_some(),
    };
    let (cluster, identity, addr) = match cluster_membership(&args, &config, token.clone()) {
        Ok(m) => m,
        Err(d) => {
            super::report(&d);
            return exit::USAGE;
        }
    };
    let listen = Listen {
        addr,
        cluster,
        identity,
        token,
        limits: http::Limits {
            header_timeout: std::time::Duration::from_millis(args.header_timeout_ms),
            ..http::Limits::default()
        },
    };
    let r = lexum::serve::run(config, program, bind, listen, |addr, warnings, upgraded| {
        super::out(&format!("listening on http://{addr}\n"));
        use std::io::Write;
        let _ = std::io::stdout().flush();
        for w in warnings {
            super::report(w);
        }
        if let Some(u) = upgraded {
            let list = |v: &[String]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            super::err(&format!(
                "upgraded: kept {}; reset {}; removed {}; {} pending messages dropped\n",
                list(&u.kept),
                list(&u.reset),
                list(&u.removed),
                u.dropped_messages
            ));
        }
    });
    match r {
        Ok(()) => exit::OK,
        Err(diags) => {
            for d in &diags {
                super::report(d);
            }
            exit::USAGE
        }
    }
}
