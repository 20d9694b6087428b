/** The package.json written beside each bundle: which externals its image installs. */

/**
 * Externals a production image does not install: they serve only the embedded mode (no
 * DATABASE_URL). The bundle's package.json lists them as optional peers, which
 * `npm install --omit=dev` skips; the entry refuses to start without DATABASE_URL when they are
 * missing rather than failing on the first request.
 */
export const EMBEDDED_ONLY_PACKAGES: ReadonlySet<string> = new Set(['@electric-sql/pglite', 'kysely-pglite']);

/**
 * Externals only functions declaring a dependency can reach: installed for those, optional peers
 * for the rest (a poll function's image has no cassandra-driver, SPEC §3).
 */
export const PACKAGES_BY_DEPENDENCY: Readonly<Record<string, readonly string[]>> = {
  messages: ['cassandra-driver'],
  blobs: ['@aws-sdk/client-s3', '@aws-sdk/s3-request-presigner'],
  calls: ['livekit-server-sdk'],
  ai: ['openai'],
};

/**
 * The package.json written beside index.mjs. Required externals are `dependencies` (pinned to the
 * versions this build was tested with); embedded-only ones, uninstalled optional ones and those
 * of dependencies the function does not declare are optional peers, which
 * `npm install --omit=dev` does not install.
 */
export function bundleManifest(name: string, externals: Record<string, string>, uses: readonly string[]) {
  const conditional = new Map<string, boolean>();
  for (const [dependency, packages] of Object.entries(PACKAGES_BY_DEPENDENCY)) {
    for (const pkg of packages)
      conditional.set(pkg, (conditional.get(pkg) ?? false) || uses.includes(dependency));
  }
  const dependencies: Record<string, string> = {};
  const peerDependencies: Record<string, string> = {};
  for (const [pkg, version] of Object.entries(externals)) {
    const optional = EMBEDDED_ONLY_PACKAGES.has(pkg) || version === '*' || conditional.get(pkg) === false;
    (optional ? peerDependencies : dependencies)[pkg] = version;
  }
  const peers = Object.keys(peerDependencies);
  return {
    name: `@secureconnect/bundle-${name}`,
    version: '0.0.0',
    private: true,
    type: 'module',
    main: 'index.mjs',
    dependencies,
    ...(peers.length > 0
      ? {
          peerDependencies,
          peerDependenciesMeta: Object.fromEntries(peers.map((pkg) => [pkg, { optional: true }])),
        }
      : {}),
  };
}
