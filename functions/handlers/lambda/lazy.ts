import { once } from '../../adapters/once.js';

/**
 * A port whose adapter is built on the first call of one of its methods, by `build` — which
 * imports the adapter (and the AWS SDK client or WASM behind it) with `import()`. In a Lambda bundle
 * (split by esbuild, infra/brokerFunction.ts) that code is a chunk of its own, so a function loads
 * at init only its handler, and at run time only the adapters its invocation calls.
 *
 * Every port this is used for (functions/ports.ts) has only async methods, so a method called
 * before the adapter exists can wait for it. `then` is left undefined: the port is not a promise.
 */
const lazyPort = <P extends object>(build: () => Promise<P>): P => {
  const adapter = once(build);
  return new Proxy({} as P, {
    get: (_target, method) =>
      typeof method !== 'string' || method === 'then'
        ? undefined
        : async (...args: unknown[]) => {
            const built = await adapter();
            return (built[method as keyof P] as (...a: unknown[]) => unknown).apply(built, args);
          },
  });
};

export { lazyPort, once };
