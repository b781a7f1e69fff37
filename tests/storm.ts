/**
 * The device interrupt storm several tests measure against: `eth0` (IRQ 42)
 * on CPU 0 interrupts every 97 µs, and its handler queues a plain irq_work,
 * `rx_done`, whose callback takes 30 µs.
 */

import { type IrqWork, irqWorkInit, type Machine } from "../mod.ts";

/** Add the storm to `m` (each interrupt up to `jitterNs` late); returns its work. */
export function addRxStorm(m: Machine, jitterNs = 0): IrqWork {
  const rx = irqWorkInit(function* rx_done(_w, ctx) {
    yield* ctx.spend(30_000);
  });
  m.requestIrq({
    irq: 42,
    name: "eth0",
    cpu: 0,
    handler: (ctx) => ctx.queue(rx),
    source: { periodNs: 97_000, jitterNs },
  });
  return rx;
}
