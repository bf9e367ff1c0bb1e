// Signs requests with ccxt's own sign() in a separate Node process: ccxt's CommonJS build
// loads ES-module dependencies that Node itself can require but Jest's module loader cannot.
// Input on stdin: [{exchange, path, api, credential: {apiKey, secretKey, passphrase?}, nowMs, headers?}].
// Output on stdout: [{url, method, headers}] in the same order.
const ccxt = require('ccxt');

let input = '';
process.stdin.on('data', (chunk) => {
  input += chunk;
});
process.stdin.on('end', () => {
  const jobs = JSON.parse(input);
  const out = jobs.map((job) => {
    const client = new ccxt[job.exchange]({
      apiKey: job.credential.apiKey,
      secret: job.credential.secretKey,
      password: job.credential.passphrase ?? 'unused',
      options: { recvWindow: 5000 },
    });
    client.milliseconds = () => job.nowMs;
    client.nonce = () => job.nowMs;
    client.seconds = () => Math.floor(job.nowMs / 1000);
    const signed = client.sign(job.path, job.api, 'GET', {}, job.headers);
    return { url: signed.url, method: signed.method, headers: signed.headers, version: ccxt.version };
  });
  process.stdout.write(JSON.stringify(out));
});
