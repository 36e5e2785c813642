// The VS Code client of `mpc lsp`: starts the server on stdio for .mpc files.
// Diagnostics, hover (type and AND gates), go to definition and inlay hints with
// each line's AND gates all come from the server.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('mpc').get('server.path') || 'mpc';
  const run = { command, args: ['lsp'], transport: TransportKind.stdio };
  const serverOptions = { run, debug: run };
  const clientOptions = { documentSelector: [{ scheme: 'file', language: 'mpc' }] };
  client = new LanguageClient('mpc', 'mpc language server', serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
