import pkg from '../../package.json' with { type: 'json' };

/** tapedeck's version, bundled from package.json so the single-file build needs no file beside it. */
export const VERSION: string = pkg.version;
