// The baseline: a bare node:http server answering 200 with a tiny JSON body to every request.
// Plain JavaScript on purpose (no TS hook loaded), so its RSS is what an empty Node server costs.
'use strict';
const http = require('node:http');

const body = Buffer.from('{"status":"ok"}');
const server = http.createServer((req, res) => {
  // Drain any request body so keep-alive connections stay usable for POST suites.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
const port = Number(process.env.PORT || 0);
server.listen(port, process.env.HOST || '127.0.0.1', () => {
  process.stdout.write(`bare-server listening on ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
