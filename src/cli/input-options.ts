// The options every command that runs a block for one hire takes (--hire, --secrets, --param),
// defined once so run, revoke and exists read them the same way and document them alike.
import type { Command } from "commander";

const collect = (value: string, previous: string[]) => [...previous, value];

/** Adds --hire (required), --secrets and the repeatable --param to `command`. */
export function withHireInputs(
  command: Command,
  paramHelp = "a run param (form answer); repeatable",
): Command {
  return command
    .requiredOption(
      "--hire <file>",
      'the hire\'s props as JSON, with an optional "stored" object of stored fields',
    )
    .option(
      "--secrets <file>",
      'secrets as a JSON object (id → value; "oauth": {...} for oauth.*) or a .env file',
    )
    .option("--param <KEY=VALUE>", paramHelp, collect, []);
}

/** Adds the repeatable --param alone (commands without a hire, such as sync). */
export function withParams(command: Command, paramHelp = "a run param; repeatable"): Command {
  return command.option("--param <KEY=VALUE>", paramHelp, collect, []);
}
