/** Handler and run ids: 10 characters of `[A-Za-z0-9]`, like the Python server's nanoids. */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A new random 10-character id (about 59 bits). */
export function createId(length = 10): string {
  const bytes = new Uint8Array(length * 2);
  let id = "";
  while (id.length < length) {
    crypto.getRandomValues(bytes);
    for (const byte of bytes) {
      // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
      if (byte < 248) id += ALPHABET[byte % 62];
      if (id.length === length) break;
    }
  }
  return id;
}
