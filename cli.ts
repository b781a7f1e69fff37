/**
 * The irqemu command line: run a scenario file and write its trace,
 * findings and report. `deno task sim -- scenario.json --help` prints the
 * manual; from a URL, `deno run --allow-read --allow-write URL/cli.ts
 * scenario.json`. Everything it imports is a relative `.ts` file, so the
 * same line works from a checkout and from a URL.
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * const status = await main(["examples/scenarios/small.json", "--quiet"]);
 * if (status !== 0) throw new Error(`exit status ${status}`);
 * ```
 *
 * @module
 */

import { EXIT, main } from "./cli/main.ts";
import { latencyHook } from "./scenario/mod.ts";

export { type CliOptions, EXIT, main } from "./cli/main.ts";

if (import.meta.main) {
  const status = await main(Deno.args, { measure: latencyHook }).catch((e) => {
    console.error(`irqemu: internal error (please report it with the scenario): ${e}`);
    return EXIT.internal;
  });
  Deno.exit(status);
}
