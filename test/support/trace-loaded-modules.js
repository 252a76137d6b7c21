// Preloaded with `node -r` by test/package-contents.test.ts: on exit, prints
// every module file the process loaded through require() to stderr.
process.on('exit', () => {
  const files = Object.keys(require.cache).filter(f => f !== __filename);
  require('fs').writeSync(2, `LOADED_MODULES ${JSON.stringify(files)}\n`);
});
