//! The server driven with JSON-RPC messages over an in-memory connection, as an
//! editor drives it.

use std::thread::JoinHandle;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{json, Value};

const URI: &str = "file:///tmp/prog.mpc";

/// `x * y` is a 16-bit multiplication (it has an AND cost); line 3 has a type error.
const BROKEN: &str =
    "party a;\nparty b;\nfn main(x: u16 @a, y: u16 @b) -> u16 {\n    let p = x * y;\n    p + true\n}\n";
const FIXED: &str =
    "party a;\nparty b;\nfn main(x: u16 @a, y: u16 @b) -> u16 {\n    let p = x * y;\n    p + 1\n}\n";

struct Client {
    conn: Connection,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    next: i32,
}

impl Client {
    fn start() -> Client {
        let (server, client) = Connection::memory();
        let handle = std::thread::spawn(move || super::serve(&server));
        let mut c = Client { conn: client, server: Some(handle), next: 1 };
        let caps = c.request("initialize", json!({ "capabilities": {} }));
        assert_eq!(caps["capabilities"]["hoverProvider"], json!(true), "{caps}");
        c.notify("initialized", json!({}));
        c
    }

    fn notify(&self, method: &str, params: Value) {
        let n = Notification::new(method.to_string(), params);
        self.conn.sender.send(Message::Notification(n)).expect("server is running");
    }

    /// Sends a request and waits for its response (other messages are dropped).
    fn request_raw(&mut self, method: &str, params: Value) -> Response {
        let id = RequestId::from(self.next);
        self.next += 1;
        let req = Request::new(id.clone(), method.to_string(), params);
        self.conn.sender.send(Message::Request(req)).expect("server is running");
        loop {
            match self.conn.receiver.recv().expect("server answers") {
                Message::Response(r) if r.id == id => return r,
                _ => continue,
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let r = self.request_raw(method, params);
        assert!(r.error.is_none(), "{:?}", r.error);
        r.result.unwrap_or(Value::Null)
    }

    /// The next diagnostics published.
    fn diagnostics(&self) -> Vec<Value> {
        loop {
            if let Message::Notification(n) = self.conn.receiver.recv().expect("server publishes") {
                if n.method == "textDocument/publishDiagnostics" {
                    assert_eq!(n.params["uri"], json!(URI));
                    return n.params["diagnostics"].as_array().cloned().unwrap_or_default();
                }
            }
        }
    }

    fn open(&self, text: &str) {
        let doc = json!({ "uri": URI, "languageId": "mpc", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": doc }));
    }

    fn change(&self, text: &str) {
        let p = json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [{ "text": text }] });
        self.notify("textDocument/didChange", p);
    }

    fn at(line: u32, character: u32) -> Value {
        json!({ "textDocument": { "uri": URI }, "position": { "line": line, "character": character } })
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let server = self.server.take().expect("started");
        server.join().expect("no panic").expect("clean exit");
    }
}

#[test]
fn diagnostics_follow_the_text() {
    let c = Client::start();
    c.open(BROKEN);
    let diags = c.diagnostics();
    assert!(!diags.is_empty());
    let d = &diags[0];
    assert_eq!(d["severity"], json!(1), "{d}");
    // `true` (or the whole `p + true`) on line 4 (0-based), within `p + true`.
    let col = BROKEN.lines().nth(4).expect("line").find("p + true").expect("present") as u64;
    assert_eq!(d["range"]["start"]["line"], json!(4), "{d}");
    assert_eq!(d["range"]["end"]["line"], json!(4), "{d}");
    let (s, e) = (d["range"]["start"]["character"].as_u64(), d["range"]["end"]["character"].as_u64());
    assert!(s >= Some(col) && e <= Some(col + 8) && s < e, "{d}");
    c.change(FIXED);
    assert_eq!(c.diagnostics(), Vec::<Value>::new());
    c.stop();
}

#[test]
fn hover_shows_type_and_and_cost() {
    let mut c = Client::start();
    c.open(FIXED);
    c.diagnostics();
    // On the `*` of `x * y`.
    let col = FIXED.lines().nth(3).expect("line").find('*').expect("present") as u32;
    let h = c.request("textDocument/hover", Client::at(3, col));
    let text = h["contents"]["value"].as_str().expect("markdown").to_string();
    assert!(text.contains("u16"), "{text}");
    // The 16-bit truncated multiplier's AND gates, as the compiler counts them.
    let costs =
        mpc_compiler::analysis::explain(FIXED, &mpc_compiler::Options::default()).0.expect("compiles");
    let line = costs.lines.iter().find(|l| l.line == 4).expect("the multiplication's line");
    assert!(line.and_gates > 0);
    assert!(text.contains(&format!("AND gates: {}", line.and_gates)), "{text}");
    assert_eq!(h["range"]["start"], json!({ "line": 3, "character": col - 2 }), "{h}");
    c.stop();
}

#[test]
fn definition_and_inlay_hints() {
    let mut c = Client::start();
    c.open(FIXED);
    c.diagnostics();
    // `p` in `p + 1` goes to `let p`.
    let d = c.request("textDocument/definition", Client::at(4, 4));
    let col = FIXED.lines().nth(3).expect("line").find("p =").expect("present") as u64;
    assert_eq!(d["range"]["start"], json!({ "line": 3, "character": col }), "{d}");
    assert_eq!(d["uri"], json!(URI));
    // `y` in `x * y` goes to the parameter.
    let ycol = FIXED.lines().nth(3).expect("line").find('y').expect("present") as u32;
    let d = c.request("textDocument/definition", Client::at(3, ycol));
    let pcol = FIXED.lines().nth(2).expect("line").find("y:").expect("present") as u64;
    assert_eq!(d["range"]["start"], json!({ "line": 2, "character": pcol }), "{d}");
    let range = json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 6, "character": 0 } });
    let hints =
        c.request("textDocument/inlayHint", json!({ "textDocument": { "uri": URI }, "range": range }));
    let hints = hints.as_array().expect("a list");
    let costs =
        mpc_compiler::analysis::explain(FIXED, &mpc_compiler::Options::default()).0.expect("compiles");
    assert_eq!(hints.len(), costs.lines.len());
    let mul = hints.iter().find(|h| h["position"]["line"] == json!(3)).expect("a hint on the multiplication");
    let expect = costs.lines.iter().find(|l| l.line == 4).expect("line 4").and_gates;
    assert_eq!(mul["label"], json!(format!("{expect} AND")));
    assert_eq!(mul["position"]["character"], json!(FIXED.lines().nth(3).expect("line").len()));
    c.stop();
}

#[test]
fn bad_requests_get_errors_not_panics() {
    let mut c = Client::start();
    let r = c.request_raw("textDocument/hover", json!({ "nonsense": 1 }));
    assert!(r.error.is_some());
    let r = c.request_raw("no/such/method", Value::Null);
    assert!(r.error.is_some());
    // Unknown documents and garbage notifications are ignored.
    c.notify("textDocument/didChange", json!([1, 2]));
    let h = c.request("textDocument/hover", Client::at(0, 0));
    assert_eq!(h, Value::Null);
    c.stop();
}

#[test]
fn hover_on_a_call_names_the_functions_gates() {
    let src = "party a;\nparty b;\nfn sq(x: u16) -> u16 { x * x }\nfn main(x: u16 @a, y: u16 @b) -> u16 {\n    sq(x) + sq(y)\n}\n";
    let mut c = Client::start();
    c.open(src);
    c.diagnostics();
    let h = c.request("textDocument/hover", Client::at(4, 5));
    let text = h["contents"]["value"].as_str().expect("markdown").to_string();
    let costs = mpc_compiler::analysis::explain(src, &mpc_compiler::Options::default()).0.expect("compiles");
    let sq = costs.functions.iter().find(|f| f.name == "sq").expect("sq costs gates");
    assert!(text.contains(&format!("`sq`: {} AND gates over all its calls", sq.and_gates)), "{text}");
    c.stop();
}
