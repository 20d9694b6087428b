import * as v from 'valibot';

/** The longest reply suggestion handed to a client, in characters. */
export const SUGGESTION_MAX_LENGTH = 300;

export const AiSettingsSchema = v.object({
  /** The user's consent to AI helpers: their own requests, and their messages and name in others'. */
  enabled: v.boolean(),
});
export type AiSettings = v.InferOutput<typeof AiSettingsSchema>;

export const UpdateAiSettingsSchema = v.object({
  enabled: v.boolean('must be a boolean'),
});
export type UpdateAiSettings = v.InferOutput<typeof UpdateAiSettingsSchema>;

export const SummarySchema = v.object({
  summary: v.string(),
  /** How many messages the summary was made from. */
  messageCount: v.number(),
  /** The model that wrote it, as the AI server named it. */
  model: v.string(),
});
export type Summary = v.InferOutput<typeof SummarySchema>;

export const ReplySuggestionsSchema = v.object({
  /** One to three replies the caller could send next. */
  suggestions: v.pipe(
    v.array(v.pipe(v.string(), v.maxLength(SUGGESTION_MAX_LENGTH))),
    v.minLength(1),
    v.maxLength(3),
  ),
  model: v.string(),
});
export type ReplySuggestions = v.InferOutput<typeof ReplySuggestionsSchema>;
