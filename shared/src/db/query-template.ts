import type {
  Compilable,
  CompiledQuery,
  DeleteResult,
  DialectAdapter,
  InsertResult,
  Kysely,
  MergeResult,
  UpdateResult,
} from 'kysely';

/**
 * What a template substitutes per call. Scalars only: an array would make an `in` list whose
 * length the compiled SQL fixed, and an object would be serialized by the driver as JSON.
 */
export type TemplateValue = string | number | bigint | boolean | Date | Uint8Array | null;

/** A template's named inputs: any object type, interfaces too, of {@link TemplateValue}s. */
export type TemplateInputs<P> = { [K in keyof P]: TemplateValue };

/**
 * The rows the compiled statement itself returns. A write without `returning` returns none:
 * its builder's `execute` makes up an `UpdateResult` and the like, which a template does not.
 */
export type TemplateRow<O> = O extends InsertResult | UpdateResult | DeleteResult | MergeResult ? never : O;

/** Stands in for one named input while the query is built; never reaches the database. */
class Placeholder {
  constructor(readonly name: string) {}

  // Computing on an input while building would freeze the result into every call: fail instead.
  [Symbol.toPrimitive](): never {
    throw misuse(this.name, 'was converted or computed on');
  }

  toJSON(): never {
    throw misuse(this.name, 'was JSON-serialized');
  }
}

function misuse(name: string, what: string): Error {
  return new Error(
    `Query template input "${name}" ${what} while the query was built; pass it to the builder as a whole value.`,
  );
}

function embedsPlaceholder(value: unknown): boolean {
  if (value instanceof Placeholder) return true;
  return typeof value === 'object' && value !== null && Object.values(value).some(embedsPlaceholder);
}

interface Compiled<P> {
  query: CompiledQuery;
  /** Which input goes to which index of `query.parameters`; a name used twice has two slots. */
  slots: ReadonlyArray<readonly [index: number, name: keyof P]>;
}

/**
 * A query whose SQL text never changes, only its parameter values: built and compiled once per
 * database, then run with the inputs substituted into the compiled parameters, which skips
 * Kysely's per-call building and compiling.
 *
 * The build function receives stand-ins typed as the inputs and must hand each to the builder
 * whole. The first compile for a database throws when one was computed with (converted,
 * JSON-serialized, sliced) or did not end up as one or more whole parameters (inlined, nested
 * in a larger value, dropped by a branch). A branch that keeps the stand-in cannot be caught (a
 * stand-in is always truthy), and values the build computes itself are frozen into the template:
 * shapes that vary, such as `in` lists or optional clauses, stay on the plain builder.
 *
 * Runs on whatever Kysely instance `execute` is given, transactions included. The compiled SQL is
 * cached per dialect adapter, which a transaction shares with the database it was opened on; an
 * instance with plugins compiles on every call, since a plugin may rewrite each query differently.
 *
 * @example
 * const userEmail = queryTemplate((db: Kysely<DB>, p: { id: string }) =>
 *   db.selectFrom('users').select('email').where('id', '=', p.id),
 * );
 * const [row] = await userEmail.execute(db, { id }); // row: { email: string } | undefined
 */
export function queryTemplate<DB, P extends TemplateInputs<P>, O>(
  build: (db: Kysely<DB>, inputs: P) => Compilable<O>,
): QueryTemplate<DB, P, TemplateRow<O>> {
  const byAdapter = new WeakMap<DialectAdapter, Compiled<P>>();
  const compiledFor = (db: Kysely<DB>): Compiled<P> => {
    // getExecutor() is marked internal, but it is the only view of the adapter and plugins that
    // decide the SQL text; a Kysely upgrade that drops it fails the type check, not silently.
    const { adapter, plugins } = db.getExecutor();
    if (plugins.length > 0) return compile(db, build);
    let compiled = byAdapter.get(adapter);
    if (!compiled) {
      compiled = compile(db, build);
      byAdapter.set(adapter, compiled);
    }
    return compiled;
  };
  return {
    async execute(db, inputs) {
      const { query, slots } = compiledFor(db);
      const parameters = [...query.parameters];
      for (const [index, name] of slots) parameters[index] = inputs[name];
      const result = await db.executeQuery<TemplateRow<O>>({ ...query, parameters });
      return result.rows;
    },
  };
}

export interface QueryTemplate<DB, P, R> {
  /** Runs the statement on `db` (a transaction too) with `inputs` as its parameters. */
  execute(db: Kysely<DB>, inputs: P): Promise<R[]>;
}

/** Builds with stand-ins for the inputs and records where each landed among the parameters. */
function compile<DB, P>(
  db: Kysely<DB>,
  build: (db: Kysely<DB>, inputs: P) => Compilable<unknown>,
): Compiled<P> {
  const read = new Map<string, Placeholder>();
  const inputs = new Proxy(
    {},
    {
      get: (_target, name) => {
        if (typeof name !== 'string') return undefined;
        let placeholder = read.get(name);
        if (!placeholder) {
          placeholder = new Placeholder(name);
          read.set(name, placeholder);
        }
        return placeholder;
      },
    },
  ) as P;
  const query = build(db, inputs).compile();
  const slots: Array<readonly [number, keyof P]> = [];
  const placed = new Set<string>();
  query.parameters.forEach((value, index) => {
    if (value instanceof Placeholder) {
      // The build function, typed against P, can only have read P's keys.
      slots.push([index, value.name as keyof P]);
      placed.add(value.name);
    } else if (embedsPlaceholder(value)) {
      throw new Error(`Query template parameter $${index + 1} has an input inside a larger value.`);
    }
  });
  const lost = [...read.keys()].filter((name) => !placed.has(name));
  if (lost.length > 0) {
    const names = lost.map((name) => `"${name}"`).join(', ');
    throw new Error(
      `Query template inputs not among the query's parameters: ${names} (inlined, or dropped by a branch on their value).`,
    );
  }
  return { query, slots };
}
