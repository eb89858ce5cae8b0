import { enableCompileCache } from './compileCache.js';

// The installed `jit` (cli/package/jit.cjs): the compile cache is switched on before the CLI
// itself (jit-main.cjs, beside this file) is loaded, so its compiled code can come from the cache.
enableCompileCache(process.env);
require('./jit-main.cjs');
