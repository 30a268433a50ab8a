/**
 * Events between the client's types and the wire: envelopes decoded (into instances of the
 * classes given to the client, by type), and events or fields encoded for requests.
 */
import { EventDecodeError } from "./errors.js";
import type { EventEnvelope } from "./protocol.js";

/**
 * An event class the client can make instances of: a `static eventType` and a constructor that
 * takes the event's fields, as stepwise's `Event.define(...)` classes have.
 */
export interface EventClassLike<T extends object = object> {
  readonly eventType: string;
  new (fields: any): T;
}

/** Something the client can send as an event: an instance with `toJSON()`, or an envelope. */
export type EventInput =
  | { toJSON(): { type: string; data: Record<string, unknown> } }
  | { readonly type: string; readonly value?: Record<string, unknown> };

/** An event the server sent, read. */
export interface DecodedEvent<TEvent = never> {
  readonly type: string;
  /** The event classes it extends, nearest first; empty for none. */
  readonly types: readonly string[];
  /** Its fields as sent. */
  readonly value: Record<string, unknown>;
  readonly qualifiedName: string | null;
  /** Whether it ends a run (a `StopEvent` or one of its subclasses). */
  readonly isStop: boolean;
  /** An instance of the class given to the client for its type, if one was. */
  readonly event: TEvent | undefined;
  /** The envelope as the server sent it. */
  readonly envelope: EventEnvelope;
}

/** The fields of an envelope's value, with untyped ones (under `_data`) merged in. */
export function fieldsOf(value: Record<string, unknown>): Record<string, unknown> {
  const extra = value._data;
  if (typeof extra !== "object" || extra === null || Array.isArray(extra)) return value;
  const { _data: _, ...rest } = value;
  return { ...rest, ...(extra as Record<string, unknown>) };
}

/** Reads an envelope, making an instance when `classes` has its type. */
export function decodeEnvelope<TEvent>(
  envelope: EventEnvelope,
  classes: ReadonlyMap<string, EventClassLike>,
): DecodedEvent<TEvent> {
  const types = envelope.types ?? [];
  const cls = classes.get(envelope.type);
  let event: TEvent | undefined;
  if (cls) {
    try {
      event = new cls(fieldsOf(envelope.value ?? {})) as TEvent;
    } catch (error) {
      throw new EventDecodeError(envelope.type, { cause: error });
    }
  }
  return {
    type: envelope.type,
    types,
    value: envelope.value ?? {},
    qualifiedName: envelope.qualified_name ?? null,
    isStop: envelope.type === "StopEvent" || types.includes("StopEvent"),
    event,
    envelope,
  };
}

/**
 * The write-side envelope of an event: `{ type, value }` from an instance's `toJSON()`, or the
 * given envelope.
 * @throws `TypeError` for anything else.
 */
export function encodeEvent(event: EventInput): { type: string; value: Record<string, unknown> } {
  if (typeof (event as { toJSON?: unknown }).toJSON === "function") {
    const { type, data } = (
      event as { toJSON(): { type: string; data: Record<string, unknown> } }
    ).toJSON();
    return { type, value: data ?? {} };
  }
  const envelope = event as { type?: unknown; value?: Record<string, unknown> };
  if (typeof envelope.type === "string")
    return { type: envelope.type, value: envelope.value ?? {} };
  throw new TypeError(
    "An event to send must be an event instance (with `toJSON()`) or an envelope `{ type, value }`.",
  );
}
