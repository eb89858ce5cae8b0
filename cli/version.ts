import cliPackage from './package/package.json' with { type: 'json' };

/** The CLI's version: the one its npm package (@jit-broker/cli) carries; the build inlines it. */
const CLI_VERSION: string = cliPackage.version;

export { CLI_VERSION };
