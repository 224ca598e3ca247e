'use strict';
/**
 * Shared helpers for the test emulators (tests/emulators/*.js).
 * CommonJS, Node core modules only; runs on Node 14.16 and Node 20.
 *
 *   readBody(req)                          -> Promise<string>  (utf-8)
 *   sendJson(res, status, obj, extraHeaders?)
 *   applyMisbehaviour(mode, req, res)      -> boolean (true = request handled, caller must stop)
 *       'normal'        not handled (false)
 *       'hang'          never answer; socket stays open until close()
 *       'http500'       500 text/plain "Internal Server Error"
 *       'garbage'       200 application/json with a non-JSON body
 *       'wrong-service' 404 text/html nginx page for every path, "Server: nginx"
 *       'html200'       200 text/html "<html><body>Welcome</body></html>"
 *   startServer(handler, {host, port, tls}) -> Promise<{server, url, port, close}>
 *       tls = {key, cert} makes it https; close() destroys every open socket (hung ones too).
 *   httpRequest(url, {method, headers, body, timeoutMs}) -> Promise<{status, headers, body}>
 *   postJson(url, bodyString, headers?)    -> Promise<{status, headers, body}>
 */
const http = require('http');
const https = require('https');
const crypto = require('crypto');

const MODES = ['normal', 'hang', 'http500', 'garbage', 'wrong-service', 'html200'];

function readBody(req) {
  return new Promise(function (resolve, reject) {
    const chunks = [];
    req.on('data', function (c) { chunks.push(c); });
    req.on('end', function () { resolve(Buffer.concat(chunks).toString('utf8')); });
    req.on('error', reject);
  });
}

function send(res, status, contentType, body, extraHeaders) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8');
  const headers = { 'Content-Type': contentType, 'Content-Length': buf.length };
  Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
  res.writeHead(status, headers);
  res.end(buf);
}

function sendJson(res, status, obj, extraHeaders) {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(obj), extraHeaders);
}

const NGINX_404 = '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n' +
  '<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n';

function applyMisbehaviour(mode, req, res) {
  if (!mode || mode === 'normal') return false;
  req.resume(); // drain whatever body there is
  switch (mode) {
    case 'hang':
      if (req.socket) req.socket.setTimeout(0);
      return true; // never answer; startServer's close() destroys the socket
    case 'http500':
      send(res, 500, 'text/plain', 'Internal Server Error');
      return true;
    case 'garbage':
      send(res, 200, 'application/json', '\u0000<<garbage>>{{' + crypto.randomBytes(6).toString('hex'));
      return true;
    case 'wrong-service':
      send(res, 404, 'text/html', NGINX_404, { Server: 'nginx/1.18.0' });
      return true;
    case 'html200':
      send(res, 200, 'text/html', '<html><body>Welcome</body></html>');
      return true;
    default:
      send(res, 500, 'text/plain', 'emulator: unknown misbehaviour mode ' + JSON.stringify(mode));
      return true;
  }
}

function startServer(handler, opts) {
  opts = opts || {};
  const host = opts.host || '127.0.0.1';
  const tls = opts.tls;
  const sockets = new Set();
  const onRequest = function (req, res) {
    Promise.resolve().then(function () { return handler(req, res); }).catch(function (err) {
      if (!res.headersSent) send(res, 500, 'text/plain', 'emulator error: ' + (err && err.stack || err));
      else res.destroy();
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, onRequest)
    : http.createServer(onRequest);
  server.on('connection', function (s) {
    sockets.add(s);
    s.on('close', function () { sockets.delete(s); });
  });
  return new Promise(function (resolve, reject) {
    server.once('error', reject);
    server.listen(opts.port || 0, host, function () {
      server.removeListener('error', reject);
      const port = server.address().port;
      let closing = null;
      const close = function () {
        if (!closing) {
          closing = new Promise(function (done) {
            server.close(function () { done(); });
            sockets.forEach(function (s) { s.destroy(); });
            sockets.clear();
          });
        }
        return closing;
      };
      resolve({ server: server, port: port, url: (tls ? 'https' : 'http') + '://' + host + ':' + port, close: close });
    });
  });
}

function httpRequest(url, opts) {
  opts = opts || {};
  return new Promise(function (resolve, reject) {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    const body = opts.body == null ? null : (Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(String(opts.body), 'utf8'));
    const headers = {};
    Object.keys(opts.headers || {}).forEach(function (k) { headers[k] = opts.headers[k]; });
    if (body) headers['Content-Length'] = body.length;
    const req = lib.request({
      protocol: u.protocol, hostname: u.hostname, port: u.port, path: u.pathname + u.search,
      method: opts.method || 'GET', headers: headers, agent: false, rejectUnauthorized: false,
    }, function (res) {
      const chunks = [];
      res.on('data', function (c) { chunks.push(c); });
      res.on('end', function () {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, body: opts.binary ? buf : buf.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs || 10000, function () {
      req.destroy(new Error('timeout after ' + (opts.timeoutMs || 10000) + ' ms: ' + url));
    });
    req.on('error', reject);
    req.end(body || undefined);
  });
}

function postJson(url, bodyString, headers) {
  const h = { 'Content-Type': 'application/json' };
  Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
  return httpRequest(url, { method: 'POST', headers: h, body: bodyString });
}

module.exports = { MODES, readBody, sendJson, send, applyMisbehaviour, startServer, httpRequest, postJson };
