// Runs one esbuild build with the parts plugin for scripts/espruino/parts.ts, which waits for it synchronously:
// esbuild takes plugins only in its asynchronous API, and every tool builds the firmware synchronously.
import { workerData } from "node:worker_threads";
import { dirname, resolve } from "node:path";
import { build } from "esbuild";

const { options, stubs, port, signal } = workerData;

/** Imports of a part's module, by relative path from the importer, load the part's stand-ins instead. */
const parts = {
  name: "han-parts",
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const path = resolve(args.resolveDir, args.path);
      for (const candidate of [path, path + ".ts"]) {
        if (Object.prototype.hasOwnProperty.call(stubs, candidate)) return { path: candidate, namespace: "han-part" };
      }
      return undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "han-part" }, (args) =>
      ({ contents: stubs[args.path], loader: "js", resolveDir: dirname(args.path) }));
  },
};

build(Object.assign({}, options, { plugins: [parts], write: false, logLevel: "silent" })).then(
  (result) => { port.postMessage({ code: result.outputFiles[0].text, mangleCache: result.mangleCache || {} }); },
  (error) => { port.postMessage({ error: error.message }); },
).finally(() => {
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
