import * as v from 'valibot';

/** Public keys travel as base64 (standard or URL-safe); post-quantum keys need room. */
const PublicKeySchema = v.pipe(
  v.string('must be a string'),
  v.nonEmpty('is required'),
  v.maxLength(4096, 'must be at most 4096 characters'),
  v.regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'must be base64'),
);

const KeyIdSchema = v.pipe(
  v.number('must be a number'),
  v.integer('must be an integer'),
  v.minValue(0, 'must be at least 0'),
  v.maxValue(2 ** 31 - 1, 'must fit in 31 bits'),
);

export const MAX_ONE_TIME_PREKEYS_PER_UPLOAD = 100;
export const MAX_ONE_TIME_PREKEYS_STORED = 1000;

export const SignedPrekeySchema = v.object({
  keyId: KeyIdSchema,
  publicKey: PublicKeySchema,
  signature: PublicKeySchema,
});

export const OneTimePrekeySchema = v.object({ keyId: KeyIdSchema, publicKey: PublicKeySchema });

export const KeyUploadSchema = v.object({
  identityKey: PublicKeySchema,
  signedPrekey: SignedPrekeySchema,
  oneTimePrekeys: v.optional(
    v.pipe(
      v.array(OneTimePrekeySchema, 'must be an array'),
      v.maxLength(
        MAX_ONE_TIME_PREKEYS_PER_UPLOAD,
        `must hold at most ${MAX_ONE_TIME_PREKEYS_PER_UPLOAD} keys`,
      ),
      v.check(
        (keys) => new Set(keys.map((key) => key.keyId)).size === keys.length,
        'must not repeat a keyId',
      ),
    ),
    [],
  ),
});
export type KeyUpload = v.InferOutput<typeof KeyUploadSchema>;

export const KeyBundleSchema = v.object({
  userId: v.string(),
  identityKey: v.string(),
  signedPrekey: SignedPrekeySchema,
  /** Null when the user has none left: X3DH then proceeds without one. */
  oneTimePrekey: v.nullable(OneTimePrekeySchema),
});
export type KeyBundle = v.InferOutput<typeof KeyBundleSchema>;

export const PrekeyCountSchema = v.object({ count: v.number() });
