/**
 * The kernel's lock-less singly linked list (include/linux/llist.h), rules
 * 2.1-2.5 of docs/rules.md.
 *
 * Producers push one node at a time with one atomic step; the consumer takes
 * the whole chain at once. The chain comes back newest first; callers that
 * want arrival order reverse it. A node pushed while it is still on a list is
 * not detected: that corrupts the list, exactly as in the kernel (rule 2.5).
 *
 * The head is a shared {@linkcode Cell}; node links are plain fields, written
 * by the pusher before the node is published and read by the owner of a
 * detached chain, as in the kernel.
 *
 * @module
 */

import { Cell, type Memory } from "./atomic.ts";
import type { Kernel } from "./kernel.ts";

/** A node that can sit on an llist: anything with a `next` link. */
export interface LlistNode {
  /** The node pushed before this one, or null at the end of the chain. */
  next: LlistNode | null;
}

/** The head of an llist (`struct llist_head`): a shared word holding the newest node. */
export class LlistHead<T extends LlistNode = LlistNode> extends Cell<T | null> {
  /** An empty list. */
  constructor() {
    super(null);
  }

  /** The newest node as memory holds it, for inspection outside the model (no step, not recorded). */
  get first(): T | null {
    return this.value;
  }
}

/**
 * `llist_add()`: push `node` in one atomic step (the successful `try_cmpxchg`
 * of the kernel's loop); true iff the list was empty just before (rule 2.1).
 * The caller uses that edge to decide on an interrupt. The path costs
 * `costNs` of CPU time, spent before the step (rule 23.2).
 */
export function* llistAdd<T extends LlistNode>(
  mem: Memory,
  cpu: number,
  node: T,
  head: LlistHead<T>,
  costNs = 0,
): Kernel<boolean> {
  if (costNs > 0) yield costNs;
  const first = yield* mem.xchg<T | null>(cpu, head, node);
  node.next = first;
  return first === null;
}

/**
 * `llist_del_all()`: detach the whole chain in one atomic step, newest first
 * (rule 2.2), after `costNs` of CPU time (rule 23.2).
 */
export function* llistDelAll<T extends LlistNode>(
  mem: Memory,
  cpu: number,
  head: LlistHead<T>,
  costNs = 0,
): Kernel<T | null> {
  if (costNs > 0) yield costNs;
  return yield* mem.xchg<T | null>(cpu, head, null);
}

/** `llist_reverse_order()`: reverse a detached chain; not atomic (rule 2.3). */
export function llistReverseOrder<T extends LlistNode>(first: T | null): T | null {
  let reversed: LlistNode | null = null;
  let node: LlistNode | null = first;
  while (node !== null) {
    const next: LlistNode | null = node.next;
    node.next = reversed;
    reversed = node;
    node = next;
  }
  return reversed as T | null;
}

/** `llist_empty()`: a racy snapshot inside the current step, no step of its own (rule 2.4). */
export function llistEmpty(mem: Memory, cpu: number, head: LlistHead): boolean {
  return mem.peek(cpu, head) === null;
}

/**
 * Walk a detached chain, reading each node's `next` before handing the node
 * out (`llist_for_each_entry_safe`), so that the visitor may requeue it.
 * A corrupted (cyclic) chain never ends, as in the kernel (bug H5).
 */
export function* llistEntries<T extends LlistNode>(first: T | null): Generator<T, void, void> {
  let node: LlistNode | null = first;
  while (node !== null) {
    const next: LlistNode | null = node.next;
    yield node as T;
    node = next;
  }
}
