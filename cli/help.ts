/**
 * The CLI's words: the manual page `--help` prints, and the short usage a
 * wrong option gets.
 *
 * @module
 */

/** The one-screen usage, printed after a wrong option. */
export const USAGE = `usage: deno task sim -- SCENARIO.json [--arch NAME] [--cpus N] [--rt | --no-rt]
         [--kernel VERSION] [--seed N] [--duration TIME] [--out-dir DIR] [--ftrace PATH]
         [--perfetto PATH] [--trace-dat PATH] [--findings PATH] [--report PATH] [--html PATH]
         [--quiet]
Try 'deno task sim -- --help' for more.
`;

/** The manual page. */
export const HELP = `NAME
    irqemu - run a scenario file on irqemu, a deterministic model of the Linux kernel's irq_work

SYNOPSIS
    deno task sim -- SCENARIO.json [OPTIONS]
    deno run --allow-read --allow-write cli.ts SCENARIO.json [OPTIONS]
    deno run --allow-read --allow-write https://HOST/PATH/cli.ts SCENARIO.json [OPTIONS]

DESCRIPTION
    Reads SCENARIO.json (scenario format version 1, described by schema/scenario.v1.json),
    builds the machine it describes (arch, CPUs, kernel version, PREEMPT_RT, works, device
    interrupts, tasks, load generators), runs it for run.durationNs of simulated time,
    prints a summary on standard output and writes the outputs the scenario's "outputs"
    section and the options below ask for: the ftrace text, Perfetto JSON, trace-cmd's
    trace.dat, the findings as JSON, and a text report. The same scenario and seed give
    byte-identical outputs on every run, on every machine.

    A bad scenario is reported with the path of each wrong field and the reason, e.g.
    "tasks[2].ops[0].cpu: CPU 7 does not exist: the machine has 4 CPUs (0..3)".

    On a terminal, a run that takes more than a second shows a progress bar on standard
    error (simulated time done, wall time, events per second); nothing is drawn when
    standard error is not a terminal.

    A "latency" section runs cyclictest or rtla timerlat inside the model (the latency
    plugin): its report, in the tool's own layout, goes to the report output, and a
    sample past breakNs stops the run there and makes the exit status 1.

OPTIONS
    -a, --arch NAME
        The arch: x86, arm64, powerpc or tick-only (replaces machine.arch).
    -c, --cpus N
        The number of CPUs (replaces machine.cpus).
    --rt, --no-rt
        PREEMPT_RT on or off (replaces machine.rt).
    -k, --kernel VERSION
        The kernel version: 6.1.192, 6.1, 5.15-rt, mainline, ... (replaces machine.kernel).
    -s, --seed N
        The seed of the machine's random numbers, 0..4294967295 (replaces machine.seed).
    -d, --duration TIME
        Simulated time to run: a number with a unit (ns, us, ms, s; no unit is ns), such as
        500us, 20ms or 1.5s (replaces run.durationNs).
    -o, --out-dir DIR
        Resolve the scenario's relative output paths against DIR instead of the current
        directory. Paths given with the options below are taken as given.
    --ftrace PATH
        Write the ftrace text to PATH (replaces outputs.ftrace).
    --perfetto PATH
        Write the timeline as Perfetto (Chrome trace-event) JSON to PATH (outputs.perfetto).
    --trace-dat PATH
        Write trace-cmd's trace.dat to PATH (outputs.traceDat).
    --findings PATH
        Write the findings as JSON to PATH (outputs.findings).
    --report PATH
        Write the text report (the summary, and the latency report when measured) to PATH
        (outputs.report).
    --html PATH
        Write the self-contained HTML report (timeline, latency histograms, the worst
        sample's analysis, findings, the scenario) to PATH (outputs.html).
    -q, --quiet
        Print nothing on standard output.
    -h, --help
        Print this manual and exit.

EXIT STATUS
    0   The run completed without findings.
    1   The run produced findings (a WARN, a BUG or a livelock), or a latency sample exceeded
        latency.breakNs.
    2   Bad input: a wrong option, a scenario file that cannot be read or is not a valid
        scenario, an error thrown by the scenario's code as it ran, or an output that could not
        be written. The message says which, and where.
    3   An internal error of irqemu (please report it with the scenario).

EXAMPLES
    Run the small example and print its summary:
        deno task sim -- examples/scenarios/small.json

    The interrupt storm without PREEMPT_RT, on a tick-only arch, for 20 ms:
        deno task sim -- examples/scenarios/irq_storm_rt.json --no-rt --arch tick-only -d 20ms

    The scenario's outputs under /tmp/run instead of the current directory, and a Perfetto
    timeline as well:
        deno task sim -- examples/scenarios/small.json -o /tmp/run --perfetto /tmp/run/small.json

    From a URL, without a checkout:
        deno run --allow-read --allow-write https://HOST/PATH/cli.ts scenario.json
`;
