/**
 * A database of its own for each test file, on the Postgres of `STEPWISE_TEST_PG` (default:
 * the local server, trust auth). Without a reachable Postgres the tests skip with one line
 * saying how to run them; in CI (`CI` set) they fail instead.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const ADMIN_URL =
  process.env.STEPWISE_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** The URL of `database` on the test server. */
export function databaseUrl(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function reachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const problem = await reachable();
if (problem && process.env.CI) {
  throw new Error(
    `Postgres at ${ADMIN_URL} is not reachable (${problem}); CI needs it (see .ci/run).`,
  );
}

/** Why the Postgres tests are skipped, or false when they run. */
export const skipPostgres: string | false = problem
  ? `no Postgres at ${ADMIN_URL} (${problem}); start one or set STEPWISE_TEST_PG=postgres://… to run these tests`
  : false;
if (skipPostgres) console.log(`# skipping @stepwise/dbos tests: ${skipPostgres}`);

/** A new database for this test file, and how to drop it (after its runtimes shut down). */
export async function freshDatabase(
  prefix = "stepwise_test",
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const drop = async () => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    // A pool's `end()` resolves before its connections have closed: a session still on its way
    // out, terminated by the forced drop, would report the termination as an error on a client
    // that nobody listens to any more. So the drop waits (a while) for the others to leave.
    for (let waited = 0; waited < 5000; waited += 20) {
      const others = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1",
        [name],
      );
      if (others.rows[0]?.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await client.end();
  };
  return { url: databaseUrl(name), drop };
}
