/**
 * Human in the loop: a refund above a limit needs a person's approval. The `assess` step returns
 * an `InputRequiredEvent` subclass, which the engine publishes on the event stream; the caller
 * asks a person and sends the answer back as a `HumanResponseEvent` subclass, which `decide`
 * accepts.
 *
 *   StartEvent ──> assess ──> StopEvent                                  (small refund: approved)
 *                    └──> ApprovalRequestEvent ──> (a person) ──> ApprovalResponseEvent ──> decide ──> StopEvent
 *
 *   npm run human -w @stepwise/examples                       # asks on the terminal
 *   npm run human -w @stepwise/examples -- --amount 40        # under the limit: no question
 *   npm run human -w @stepwise/examples -- --answer yes       # answers without asking
 *   echo no | npm run human -w @stepwise/examples             # reads the answer from stdin
 *
 * When stdin is not a terminal the answer is read from it without a prompt; if it has no line,
 * the refund is declined (the safe default) and the output says so.
 */
import { createInterface } from "node:readline";
import {
  type Context,
  HumanResponseEvent,
  InputRequiredEvent,
  StartEvent,
  StopEvent,
  step,
  Workflow,
} from "@stepwise/core";
import { z } from "zod";
import { isMain, parseArgs, runMain, UsageError } from "./lib/cli.js";

/** Asks a person to approve a refund (published on the event stream). */
export class ApprovalRequestEvent extends InputRequiredEvent.define({
  prompt: z.string(),
  amount: z.number(),
}) {}

/** A person's answer to an {@link ApprovalRequestEvent}. */
export class ApprovalResponseEvent extends HumanResponseEvent.define({
  approved: z.boolean(),
  reviewer: z.string().default("operator"),
}) {}

/** What a run returns. */
export interface RefundDecision {
  customer: string;
  amount: number;
  approved: boolean;
  decidedBy: string;
}

/**
 * Approves refunds up to `autoApproveLimit` by itself and asks a person about larger ones
 * (`run({ customer, amount })`).
 */
export class RefundFlow extends Workflow {
  /** Refunds up to this amount need no person. */
  autoApproveLimit = 100;

  @step({ accepts: StartEvent, emits: [ApprovalRequestEvent, StopEvent] })
  async assess(ev: StartEvent, ctx: Context): Promise<ApprovalRequestEvent | StopEvent> {
    const customer = String(ev.get("customer", "a customer"));
    const amount = Number(ev.get("amount"));
    if (!Number.isFinite(amount) || amount <= 0) {
      throw new UsageError("RefundFlow needs a positive amount: run({ customer, amount: 250 })");
    }
    if (amount <= this.autoApproveLimit) {
      const decision: RefundDecision = { customer, amount, approved: true, decidedBy: "policy" };
      return new StopEvent({ result: decision });
    }
    // `decide` receives only the person's answer; the request waits in the run's store.
    await ctx.store.set("request", { customer, amount });
    return new ApprovalRequestEvent({
      prompt: `Refund ${amount.toFixed(2)} to ${customer}? It is above the ${this.autoApproveLimit} limit. (yes/no)`,
      amount,
    });
  }

  @step({ accepts: ApprovalResponseEvent, emits: StopEvent })
  decide(ev: ApprovalResponseEvent, ctx: Context): StopEvent {
    const { customer, amount } = ctx.store.get("request") as { customer: string; amount: number };
    const decision: RefundDecision = {
      customer,
      amount,
      approved: ev.approved,
      decidedBy: ev.reviewer,
    };
    return new StopEvent({ result: decision });
  }
}

/** Reads "yes"/"y"/"no"/"n" (any case); anything else is `null`. */
export function parseAnswer(answer: string): boolean | null {
  const word = answer.trim().toLowerCase();
  if (word === "yes" || word === "y") return true;
  if (word === "no" || word === "n") return false;
  return null;
}

// One line from stdin: with a prompt on a terminal, silently from a pipe; null at end of input.
function readLine(prompt: string): Promise<string | null> {
  const interactive = process.stdin.isTTY === true;
  const rl = createInterface({
    input: process.stdin,
    output: interactive ? process.stdout : undefined,
  });
  return new Promise((resolve) => {
    let answered = false;
    rl.once("line", (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once("close", () => {
      if (!answered) resolve(null);
    });
    if (interactive) {
      rl.setPrompt(`${prompt} `);
      rl.prompt();
    }
  });
}

async function main(): Promise<void> {
  const { flags } = parseArgs();
  const amount = Number(flags.amount ?? 250);
  const customer = flags.customer ?? "Ada Lovelace";
  let given: boolean | null = null;
  if (flags.answer !== undefined) {
    given = parseAnswer(flags.answer);
    if (given === null) throw new UsageError(`--answer ${flags.answer} must be yes or no`);
  }
  const handler = new RefundFlow({ timeout: null }).run({ customer, amount });
  for await (const ev of handler.streamEvents()) {
    if (!(ev instanceof ApprovalRequestEvent)) continue;
    let approved = given;
    let reviewer = "--answer";
    if (approved === null) {
      if (!process.stdin.isTTY) process.stdout.write(`${ev.prompt}\n`);
      const line = await readLine(ev.prompt);
      approved = line === null ? null : parseAnswer(line);
      reviewer = process.stdin.isTTY ? "terminal" : "stdin";
      if (line === null) {
        process.stdout.write("  (no answer on stdin: declining, the safe default)\n");
        approved = false;
      } else if (approved === null) {
        throw new UsageError(`answer "${line.trim()}" must be yes or no`);
      } else if (!process.stdin.isTTY) {
        process.stdout.write(`  (answer from stdin: ${line.trim()})\n`);
      }
    } else {
      process.stdout.write(`${ev.prompt}\n  (answer from --answer: ${flags.answer})\n`);
    }
    handler.sendEvent(new ApprovalResponseEvent({ approved: approved ?? false, reviewer }));
  }
  const decision = (await handler) as RefundDecision;
  process.stdout.write(
    `Refund of ${amount.toFixed(2)} to ${customer}: ${decision.approved ? "approved" : "declined"} (decided by ${decision.decidedBy})\n`,
  );
}

if (isMain(import.meta.url)) await runMain(main);
