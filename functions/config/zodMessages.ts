import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The validators use zod's mini build (`zod/mini`): the same checks as the classic build, written as
 * functions, so a bundle carries only the checks it uses (the classic build's `z` object brings
 * every check and locale: ~450 KB of each Lambda bundle). The mini build has no messages of its
 * own; this gives it the English ones the classic build uses, so every message stays as it was.
 * Every module that declares a schema imports this one.
 */
z.config(en());
