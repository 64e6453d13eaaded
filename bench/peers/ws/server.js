'use strict';
// Peer for the benchmark: a plain Node `ws` broadcast server, written the way its users write one.
//   GET / (WebSocket upgrade)  → a subscriber of the one room
//   POST /pub (body = message) → sent to every subscriber: one text frame per message, or, with BATCH_MS > 0,
//                                the messages of each BATCH_MS window joined by "\n" in one frame
// The frame payload is converted to a Buffer once per broadcast, not once per subscriber.
// Environment: PORT (default 8090), BATCH_MS (default 0), DEFLATE (1 = permessage-deflate as `ws` does it: a
// compression context per connection, each frame compressed once per subscriber; default 0).
const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.env.PORT || 8090);
const batchMs = Number(process.env.BATCH_MS || 0);

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/pub') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      publish(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  } else {
    res.writeHead(404, { 'content-length': '0' });
    res.end();
  }
});
server.keepAliveTimeout = 600000;
server.headersTimeout = 601000;

const wss = new WebSocketServer({ server, perMessageDeflate: process.env.DEFLATE === '1' });

function broadcast(text) {
  const data = Buffer.from(text, 'utf8');
  for (const client of wss.clients) {
    if (client.readyState === WebSocket.OPEN) {
      client.send(data, { binary: false });
    }
  }
}

let pending = [];
function publish(text) {
  if (batchMs <= 0) {
    broadcast(text);
    return;
  }
  if (pending.length === 0) {
    setTimeout(flush, batchMs);
  }
  pending.push(text);
}

function flush() {
  const text = pending.join('\n');
  pending = [];
  broadcast(text);
}

server.listen(port, '127.0.0.1', () => {
  console.error(`ws peer listening on 127.0.0.1:${port}, batch ${batchMs} ms, pid ${process.pid}`);
});
