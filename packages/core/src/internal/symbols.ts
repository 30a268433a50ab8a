/** Symbols for engine state kept on objects that users can see. Never string keys. */

/** On an event class: its cached role in routing (stop, input required, ...). */
export const EVENT_ROLE = Symbol("stepwise.eventRole");
/** On an event class: its zod object schema, if it declares fields. */
export const EVENT_SCHEMA = Symbol("stepwise.eventSchema");
/**
 * On an event class: its fields as `[name, typeof]` pairs when each is a plain `z.string()`,
 * `z.number()` or `z.boolean()` (see events.ts), else null.
 */
export const EVENT_PLAIN_FIELDS = Symbol("stepwise.eventPlainFields");
/** On an event class: whether instances accept undeclared fields (StartEvent, StopEvent). */
export const EVENT_DYNAMIC = Symbol("stepwise.eventDynamic");
/** In decorator metadata: the steps a class declares. */
export const STEP_DEFS = Symbol("stepwise.steps");
