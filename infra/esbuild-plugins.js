// esbuild plugins for the Lambda bundle, loaded by serverless-esbuild (custom.esbuild.plugins
// in serverless.yml) and by bench/lambda-bundle.ts, so the deploy, the bundle test and the
// benchmark build the same file.
//
// Express and zod bring ~0.85 MB of data the vault never reads. Importing express loads
// body-parser, hence iconv-lite and its CJK charset tables; the vault reads bodies with
// express.raw() (never decoded by charset) and accepts only JSON. zod's classic API carries
// every error-message locale; the vault uses the English default. mime-db (1,100 media types)
// serves express's content-type lookups; the vault only answers JSON. Each replacement keeps
// the module and its API and drops only data, and fails loudly if a dropped part is ever used.
// test/deploy/lambda-bundle.test.ts runs the built bundle to prove the vault still works.

const { readFileSync } = require('node:fs');
const { basename } = require('node:path');

/** The media types the vault's responses and request checks can look up. */
const KEPT_MEDIA_TYPES = ['application/json', 'application/octet-stream', 'text/html', 'text/plain'];

const sep = '[\\\\/]';

/** @type {import('esbuild').Plugin} */
const dropUnusedData = {
  name: 'kms-vault-drop-unused-data',
  setup(build) {
    // iconv-lite require()s these tables lazily, only to decode CJK charsets.
    build.onLoad(
      { filter: new RegExp(`${sep}iconv-lite${sep}encodings${sep}tables${sep}[^\\\\/]+\\.json$`) },
      (args) => ({
        contents: `throw new Error(${JSON.stringify(`kms-vault bundle: the ${basename(args.path, '.json')} charset table is not bundled`)});`,
        loader: 'js',
      }),
    );
    // zod: keep the English locale (the default the vault uses) of the `locales` namespace.
    build.onLoad({ filter: new RegExp(`${sep}zod${sep}v4${sep}locales${sep}index\\.js$`) }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: 'js',
    }));
    build.onLoad({ filter: new RegExp(`${sep}zod${sep}v4${sep}locales${sep}index\\.cjs$`) }, () => ({
      contents: 'exports.en = require("./en.cjs").default;',
      loader: 'js',
    }));
    // mime-db: the real entries for the media types above, nothing else.
    build.onLoad({ filter: new RegExp(`${sep}mime-db${sep}db\\.json$`) }, (args) => {
      const db = JSON.parse(readFileSync(args.path, 'utf8'));
      const kept = {};
      for (const type of KEPT_MEDIA_TYPES) {
        if (!db[type]) throw new Error(`mime-db has no entry for ${type}`);
        kept[type] = db[type];
      }
      return { contents: JSON.stringify(kept), loader: 'json' };
    });
  },
};

/**
 * Modules the Lambda never runs, replaced by stubs that throw if they ever are:
 * - body-parser (and with it raw-body and iconv-lite): express requires it at load for its
 *   express.json()/raw() helpers; the vault reads raw bodies itself (body-limits.ts).
 * - qs: express requires it at load for the "extended" query parser; the vault sets the
 *   "simple" one (node:querystring).
 * - @aws-sdk/credential-provider-node: the SDK's default chain (SSO, ini files, IMDS, web
 *   identity, process...). On Lambda the runtime always puts the function role's credentials
 *   in the environment, so the environment provider is the whole chain.
 * - send (res.sendFile), proxy-addr (req.ip behind a trusted proxy; the vault trusts none),
 *   debug (express's and router's debug output, off unless DEBUG is set).
 */
const STUBS = {
  'body-parser': `const no = (name) => () => { throw new Error('kms-vault bundle: body-parser.' + name + ' is not bundled'); };
module.exports = { json: no('json'), raw: no('raw'), text: no('text'), urlencoded: no('urlencoded') };`,
  qs: `const no = () => { throw new Error('kms-vault bundle: qs is not bundled (the simple query parser is used)'); };
module.exports = { parse: no, stringify: no };`,
  '@aws-sdk/credential-provider-node': `const { fromEnv } = require('@aws-sdk/credential-provider-env');
exports.defaultProvider = (init) => fromEnv(init);`,
  send: `module.exports = () => { throw new Error('kms-vault bundle: send (res.sendFile) is not bundled'); };`,
  'proxy-addr': `const no = () => { throw new Error('kms-vault bundle: proxy-addr is not bundled (no trusted proxy)'); };
module.exports = no; module.exports.all = no;
// express compiles its default "trust proxy" (false) to "trust no address" at start-up.
module.exports.compile = (list) => { if (list.length > 0) no(); return () => false; };`,
  debug: `module.exports = () => Object.assign(() => {}, { enabled: false });`,
};

/** @type {import('esbuild').Plugin} */
const stubUnusedModules = {
  name: 'kms-vault-stub-unused-modules',
  setup(build) {
    const filter = new RegExp(
      `^(${Object.keys(STUBS)
        .map((name) => name.replace(/[/@-]/g, '\\$&'))
        .join('|')})$`,
    );
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'kms-vault-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'kms-vault-stub' }, (args) => ({
      contents: STUBS[args.path],
      loader: 'js',
      resolveDir: __dirname,
    }));
  },
};

module.exports = [dropUnusedData, stubUnusedModules];
module.exports.KEPT_MEDIA_TYPES = KEPT_MEDIA_TYPES;
module.exports.STUBBED_MODULES = Object.keys(STUBS);
