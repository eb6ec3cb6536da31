//! `lexum lsp` spoken to as an editor would (issue 16): the real binary
//! over standard input and output, framed JSON-RPC. Open a document with
//! an error, get its diagnostics, fix it and see them cleared; then hover,
//! definition, references, completion, rename, symbols and formatting.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: mpsc::Receiver<Value>,
    /// Notifications that came while waiting for a response.
    pending: Vec<Value>,
    next: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lexum"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || loop {
            let mut len = None;
            loop {
                let mut line = String::new();
                if out.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    len = n.parse::<usize>().ok();
                }
            }
            let mut body = vec![0; len.expect("a Content-Length header")];
            out.read_exact(&mut body).unwrap();
            if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        });
        Client {
            child,
            stdin,
            rx,
            pending: Vec::new(),
            next: 1,
        }
    }

    fn write(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn recv(&mut self) -> Value {
        self.rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the server answers within 20 s")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.write(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.recv();
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
            self.pending.push(m);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.write(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let m = if self.pending.is_empty() {
                self.recv()
            } else {
                self.pending.remove(0)
            };
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

const URI: &str = "file:///work/cluster.lxm";

const BROKEN: &str = "domain Cluster priority high {
  state nodes: Int = 3
  on scale(delta: Int) { nodes += delta }
  goal enough: nodez >= 5
    repair { send Cluster.scale(1) }
}
";

const FIXED: &str = "domain Cluster priority high {
  state nodes: Int = 3
  on scale(delta: Int) { nodes += delta }
  goal enough: nodes >= 5
    repair { send Cluster.scale(1) }
}

domain Up {
  goal enough: Cluster.nodes >= 5
    repair { send Cluster.scale(1) }
}

domain Down {
  goal cheap: Cluster.nodes <= 4
    repair { send Cluster.scale(-1) }
}
";

fn at(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}})
}

/// Applies LSP text edits (non-overlapping, on one document).
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let (l, c) = (
            p["line"].as_u64().unwrap(),
            p["character"].as_u64().unwrap(),
        );
        text.split_inclusive('\n')
            .take(l as usize)
            .map(str::len)
            .sum::<usize>()
            + c as usize
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (a, b, t) in spans {
        out.replace_range(a..b, &t);
    }
    out
}

#[test]
fn an_editor_session() {
    let mut c = Client::start();
    let init = c.request("initialize", json!({"capabilities": {}}));
    let caps = &init["capabilities"];
    for cap in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "completionProvider",
        "documentSymbolProvider",
        "renameProvider",
        "documentFormattingProvider",
    ] {
        assert!(!caps[cap].is_null(), "{cap} missing: {caps}");
    }
    c.notify("initialized", json!({}));

    // An error as you type: code, span and the suggestion.
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "lexum", "version": 1, "text": BROKEN}}),
    );
    let d = c.diagnostics(URI);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "E002");
    assert_eq!(d[0]["severity"], 1);
    assert_eq!(d[0]["range"]["start"], json!({"line": 3, "character": 15}));
    assert_eq!(d[0]["range"]["end"], json!({"line": 3, "character": 20}));
    assert!(d[0]["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `nodes`?"));
    // Hover on the error explains its code.
    let h = c.request("textDocument/hover", at(3, 16));
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("**E002**"),
        "{h}"
    );

    // Fixed: the diagnostics are cleared.
    let clean = &FIXED[..FIXED.find("\ndomain Up").unwrap()];
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": clean}]}),
    );
    assert_eq!(c.diagnostics(URI), Vec::<Value>::new());

    // Two goals that fight: a warning with a related span.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": FIXED}]}),
    );
    let d = c.diagnostics(URI);
    assert!(d.iter().all(|d| d["code"] != "E002"), "{d:?}");
    let w = d
        .iter()
        .find(|d| d["code"] == "W101")
        .expect("the W101 warning");
    assert_eq!(w["severity"], 2);
    assert_eq!(w["relatedInformation"].as_array().unwrap().len(), 1, "{w}");

    // Hover: a variable's type and owner; a goal's priority and reads; a
    // handler's signature.
    let h = c.request("textDocument/hover", at(3, 16));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("state Cluster.nodes: Int"), "{text}");
    assert!(text.contains("Owned by `Cluster`"), "{text}");
    let h = c.request("textDocument/hover", at(3, 8));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("goal Cluster.enough") && text.contains("Priority `high`"),
        "{text}"
    );
    assert!(text.contains("Reads `Cluster.nodes`"), "{text}");
    let h = c.request("textDocument/hover", at(4, 27));
    let text = h["contents"]["value"].as_str().unwrap();
    assert!(text.contains("on Cluster.scale(delta: Int)"), "{text}");

    // Definition: `Cluster.scale` in Down's repair is the handler.
    let def = c.request("textDocument/definition", at(14, 27));
    assert_eq!(
        def["range"]["start"],
        json!({"line": 2, "character": 5}),
        "{def}"
    );

    // References: `nodes` is declared once and used four times.
    let mut p = at(1, 9);
    p["context"] = json!({"includeDeclaration": true});
    let refs = c.request("textDocument/references", p.clone());
    assert_eq!(refs.as_array().unwrap().len(), 5, "{refs}");
    p["context"] = json!({"includeDeclaration": false});
    let refs = c.request("textDocument/references", p);
    assert_eq!(refs.as_array().unwrap().len(), 4, "{refs}");

    // Completion: after `Cluster.`, its members; elsewhere keywords and
    // builtins with their signatures.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3},
               "contentChanges": [{"text": FIXED.replace("Cluster.nodes >= 5", "Cluster.")}]}),
    );
    c.diagnostics(URI);
    let items = c.request("textDocument/completion", at(8, 23));
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["nodes", "scale"], "{items}");
    let items = c.request("textDocument/completion", at(1, 0));
    let all = items.as_array().unwrap();
    let len = all.iter().find(|i| i["label"] == "len").expect("len");
    assert!(len["detail"].as_str().unwrap().starts_with("len("), "{len}");
    assert!(all.iter().any(|i| i["label"] == "domain"));
    assert!(all.iter().any(|i| i["label"] == "Cluster"));
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 4}, "contentChanges": [{"text": FIXED}]}),
    );
    c.diagnostics(URI);

    // Rename a variable everywhere; the result still checks.
    let mut p = at(8, 24);
    p["newName"] = json!("count");
    let edit = c.request("textDocument/rename", p);
    let edits = edit["changes"][URI].as_array().unwrap().clone();
    assert_eq!(edits.len(), 5, "{edit}");
    let renamed = apply(FIXED, &edits);
    assert!(!renamed.contains("nodes"), "{renamed}");
    assert!(lexum::check_source(&renamed).program.is_some(), "{renamed}");
    // A keyword is not a name.
    let mut p = at(8, 24);
    p["newName"] = json!("domain");
    c.write(json!({"jsonrpc": "2.0", "id": 999, "method": "textDocument/rename", "params": p}));
    let err = loop {
        let m = c.recv();
        if m["id"] == 999 {
            break m;
        }
    };
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a name"),
        "{err}"
    );

    // Symbols: the domains with their members.
    let syms = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    let syms = syms.as_array().unwrap();
    let names: Vec<&str> = syms.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Cluster", "Up", "Down"]);
    let children: Vec<&str> = syms[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["nodes", "scale", "enough"]);

    // Formatting is `lexum fmt`.
    let messy = "domain A {state x:Int=1}";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 5}, "contentChanges": [{"text": messy}]}),
    );
    c.diagnostics(URI);
    let edits = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let formatted = apply(messy, edits.as_array().unwrap());
    assert_eq!(formatted, lexum::format::format_source(messy).unwrap());

    // Completion after a character of more than one byte.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 6}, "contentChanges": [{"text": "domain A {}\n€."}]}),
    );
    c.diagnostics(URI);
    let items = c.request("textDocument/completion", at(1, 2));
    assert!(items.is_array(), "{items}");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 7}, "contentChanges": [{"text": messy}]}),
    );
    c.diagnostics(URI);

    // Unreadable parameters get an error answer; the server goes on.
    c.write(json!({"jsonrpc": "2.0", "id": 1000, "method": "textDocument/hover", "params": {"nonsense": 1}}));
    let err = loop {
        let m = c.recv();
        if m["id"] == 1000 {
            break m;
        }
    };
    assert_eq!(err["error"]["code"], -32602, "{err}");
    c.notify("textDocument/didChange", json!({"garbage": true}));
    let syms = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_eq!(syms.as_array().unwrap().len(), 1);

    // Shut down as an editor does; the server exits by itself.
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    let status = wait(&mut c.child);
    assert_eq!(status, Some(0));
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait(child: &mut Child) -> Option<i32> {
    for _ in 0..200 {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}
