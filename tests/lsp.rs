#![cfg(feature = "lsp")]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

//! `tenet lsp` driven by a JSON-RPC client over its standard input and output,
//! as an editor drives it: the session in `tests/cases/lsp/session.json` (one
//! request or notification per step, on the shipped rules) and what the server
//! answered, summarised step by step in a snapshot.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: i64,
}

impl Client {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tenet"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tenet lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Client { child, stdin, stdout, next_id: 1 }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(self.stdout.read_line(&mut line).expect("read") > 0, "the server closed its output");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.parse().expect("a length");
            }
        }
        let mut body = vec![0; length];
        self.stdout.read_exact(&mut body).expect("body");
        serde_json::from_slice(&body).expect("JSON")
    }

    /// Sends a request and returns its response, with the notifications that came first.
    fn request(&mut self, method: &str, params: Value) -> (Value, Vec<Value>) {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let mut notifications = Vec::new();
        loop {
            let message = self.receive();
            if message.get("id") == Some(&json!(id)) {
                return (message, notifications);
            }
            notifications.push(message);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }
}

fn root() -> String {
    std::fs::canonicalize(env!("CARGO_MANIFEST_DIR")).unwrap().display().to_string()
}

fn uri(path: &str) -> String {
    format!("file://{}/{path}", root())
}

/// Replaces `{root}` in a session step with the repository's absolute path.
fn fill(value: &Value) -> Value {
    serde_json::from_str(&value.to_string().replace("{root}", &root())).unwrap()
}

/// A short, stable account of an answer.
fn summary(value: &Value) -> String {
    let text = serde_json::to_string_pretty(value).unwrap();
    text.replace(&root(), "{root}")
}

#[test]
fn session() {
    let script: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new("tests/cases/lsp/session.json")).unwrap()).unwrap();
    let mut client = Client::start();
    let mut transcript = String::new();
    let (initialized, _) = client.request(
        "initialize",
        json!({ "capabilities": { "general": { "positionEncodings": ["utf-8"] } }, "rootUri": uri("") }),
    );
    let capabilities = &initialized["result"]["capabilities"];
    transcript.push_str(&format!("initialize → position encoding {}\n", capabilities["positionEncoding"]));
    client.notify("initialized", json!({}));
    for step in script.as_array().unwrap() {
        let step = fill(step);
        let say = step["say"].as_str().unwrap_or("");
        let method = step["method"].as_str().unwrap();
        transcript.push_str(&format!("\n## {say}\n{method}\n"));
        if step.get("notify").is_some() {
            let mut params = step["params"].clone();
            // The document's text: a file of the repository, with an edit as typed.
            if let Some(path) = step["text_of"].as_str() {
                let mut text = std::fs::read_to_string(path).unwrap();
                if let Some([from, to]) = step["edit"].as_array().map(Vec::as_slice) {
                    text = text.replacen(from.as_str().unwrap(), to.as_str().unwrap(), 1);
                }
                if method == "textDocument/didOpen" {
                    params["textDocument"]["text"] = json!(text);
                } else {
                    params["contentChanges"] = json!([{ "text": text }]);
                }
            }
            client.notify(method, params);
            // A notification that changes a document is answered by diagnostics for its rule set.
            let (_, notifications) = client.request(
                "textDocument/documentSymbol",
                json!({ "textDocument": { "uri": uri("rules/outcomes.tenet") } }),
            );
            let mut clean = 0;
            for notification in notifications {
                let params = &notification["params"];
                if params["diagnostics"].as_array().is_none_or(Vec::is_empty) {
                    clean += 1;
                    continue;
                }
                transcript.push_str(&format!(
                    "publishDiagnostics {}:\n{}\n",
                    params["uri"].as_str().unwrap_or("").replace(&format!("file://{}/", root()), ""),
                    summary(&params["diagnostics"])
                ));
            }
            transcript.push_str(&format!("publishDiagnostics: {clean} files without problems\n"));
            continue;
        }
        let (response, _) = client.request(method, step["params"].clone());
        if step["outline"].as_bool().unwrap_or(false) {
            // The outline, one line a symbol: kind (LSP number), name, and its children.
            for symbol in response["result"].as_array().cloned().unwrap_or_default() {
                let children: Vec<String> = symbol["children"]
                    .as_array()
                    .map(|children| {
                        children.iter().map(|child| child["name"].as_str().unwrap_or("").to_string()).collect()
                    })
                    .unwrap_or_default();
                transcript.push_str(&format!("{} {}", symbol["kind"], symbol["name"].as_str().unwrap_or("")));
                if !children.is_empty() {
                    transcript.push_str(&format!(": {}", children.join(", ")));
                }
                transcript.push('\n');
            }
            continue;
        }
        let result = match (step.get("pick"), step.get("contains")) {
            (Some(Value::String(pointer)), _) => response["result"].pointer(pointer).cloned().unwrap_or(Value::Null),
            (_, Some(Value::Array(labels))) => {
                // Completion: how many items, and whether the expected ones are among them.
                let items = response["result"].as_array().cloned().unwrap_or_default();
                let has = |label: &Value| items.iter().any(|item| &item["label"] == label);
                json!({
                    "items": items.len(),
                    "offered": labels.iter().filter(|label| has(label)).collect::<Vec<_>>(),
                    "missing": labels.iter().filter(|label| !has(label)).collect::<Vec<_>>(),
                })
            }
            _ => response.get("result").cloned().unwrap_or_else(|| response["error"].clone()),
        };
        transcript.push_str(&summary(&result));
        transcript.push('\n');
    }
    let (shutdown, _) = client.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    client.notify("exit", Value::Null);
    let status = client.child.wait().unwrap();
    assert!(status.success(), "tenet lsp exits cleanly after shutdown and exit: {status}");
    insta::assert_snapshot!(transcript);
}
