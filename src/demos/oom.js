'use strict';
// jmdb demo oom: a file server that sends a file as JSON.
//
// GET /  reads the file named on the command line into a Buffer and sends
// it as JSON. JSON.stringify calls the Buffer's toJSON, which makes a plain
// array with one number per byte ({type: 'Buffer', data: [137, 80, ...]}):
// for an 80 MB file that array alone needs 640 MB (8 bytes a slot) before
// any text is made, and the text needs ~3.6 bytes per byte again. Under a
// small heap limit node dies with "JavaScript heap out of memory" inside
// JSON.stringify, called from sendFile, the read callback.
const http = require('http');
const fs = require('fs');

const file = process.argv[2];

function sendFile(res) {
  fs.readFile(file, function onRead(err, data) {
    if (err) {
      res.statusCode = 500;
      res.end(String(err));
      return;
    }
    const body = JSON.stringify({ file, size: data.length, data });
    res.setHeader('content-type', 'application/json');
    res.end(body);
  });
}

const server = http.createServer((req, res) => sendFile(res));
server.listen(0, '127.0.0.1', () => {
  // The demo reads this line to learn the port.
  console.log(`listening on http://127.0.0.1:${server.address().port}/ (pid ${process.pid})`);
});
