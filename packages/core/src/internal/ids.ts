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

/** A 10-character alphanumeric run id, as the Python library makes them. */
export function createRunId(): string {
  if (offset + ID_LENGTH > pool.length) refill();
  let id = "";
  for (let i = 0; i < ID_LENGTH; i++)
    id += ALPHABET[(pool[offset + i] as number) % ALPHABET.length];
  offset += ID_LENGTH;
  return id;
}
