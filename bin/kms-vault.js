#!/usr/bin/env node
// The kms-vault command. In a checkout (src/ beside bin/, tsx installed) it runs the TypeScript
// source through tsx, so the command is never older than the code; in an installed package,
// which ships dist/ and no src/, it runs the compiled JavaScript that `npm pack` built.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// The AWS SDK prints a Node 20 support notice on every run; stderr is for the CLI's own lines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = join(__dirname, '..');
const source = join(root, 'src', 'cli', 'main.ts');

function fromSource() {
  if (!existsSync(source)) return undefined;
  try {
    require.resolve('tsx/cjs');
  } catch {
    return undefined;
  }
  require('tsx/cjs');
  return require(source);
}

const cli = fromSource() ?? require(join(root, 'dist', 'cli', 'main.js'));
cli.runCli(process.argv.slice(2));
