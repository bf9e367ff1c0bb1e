// esbuild plugins for the Lambda bundle, loaded by serverless-esbuild (custom.esbuild.plugins
// in serverless.yml) and by bench/lambda-bundle.ts, so the deploy, the bundle test and the
// benchmark build the same file.
//
// The Lambda handler reads API Gateway events itself (src/adapters/http/lambda-front.ts), so
// express and its dependencies are not in the bundle at all, and zod/mini tree-shakes down to
// what the schemas use (its locales included). What is left to trim is the AWS SDK's full
// credential chain (SSO, ini files, IMDS, web identity, process...): on Lambda the runtime
// always puts the function role's credentials in the environment, so the environment provider
// is the whole chain.
// test/deploy/lambda-bundle.test.ts runs the built bundle to prove the vault still works, and
// checks that none of the dropped modules is in it.

/** Modules the Lambda never runs, replaced by what it does run. */
const STUBS = {
  '@aws-sdk/credential-provider-node': `const { fromEnv } = require('@aws-sdk/credential-provider-env');
exports.defaultProvider = (init) => fromEnv(init);`,
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

module.exports = [stubUnusedModules];
module.exports.STUBBED_MODULES = Object.keys(STUBS);
