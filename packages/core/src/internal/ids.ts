const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ID_LENGTH = 10;
const POOL_IDS = 256;

// Random bytes are drawn in batches: one `getRandomValues` call per 256 run ids.
let pool = new Uint8Array(0);
let offset = 0;

function refill(): void {
  pool = new Uint8Array(ID_LENGTH * POOL_IDS);
  const cryptoApi = (globalThis as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } })
    .crypto;
  if (cryptoApi) cryptoApi.getRandomValues(pool);
  else for (let i = 0; i < pool.length; i++) pool[i] = Math.floor(Math.random() * 256);
  offset = 0;
}

const CODES = Array.from(ALPHABET, (char) => char.charCodeAt(0));

function code(at: number): number {
  return CODES[(pool[at] as number) % CODES.length] as number;
}

/** A 10-character alphanumeric run id, as the Python library makes them. */
export function createRunId(): string {
  if (offset + ID_LENGTH > pool.length) refill();
  const o = offset;
  offset += ID_LENGTH;
  // One string, made at once: appending a character at a time makes a string per character.
  return String.fromCharCode(
    code(o),
    code(o + 1),
    code(o + 2),
    code(o + 3),
    code(o + 4),
    code(o + 5),
    code(o + 6),
    code(o + 7),
    code(o + 8),
    code(o + 9),
  );
}
