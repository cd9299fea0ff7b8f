import pkg from '../../package.json' with { type: 'json' }

/** The Kith version, from package.json. */
export const VERSION: string = pkg.version
