// Starts `lexum lsp` for .lxm files; everything else is the server's.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate() {
  const command = vscode.workspace.getConfiguration("lexum").get("path") || "lexum";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "lexum",
    "Lexum",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "lexum" }] }
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
