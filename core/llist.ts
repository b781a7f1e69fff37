/**
 * The kernel's lock-less singly linked list (include/linux/llist.h), SPEC §2.
 *
 * Producers push one node at a time with one atomic step; the consumer takes
 * the whole chain at once. The chain comes back newest first; callers that
 * want arrival order reverse it. A node pushed while it is still on a list is
 * not detected: that corrupts the list, exactly as in the kernel (§2.5).
 *
 * @module
 */

import { type Kernel, STEP } from "./kernel.ts";

/** A node that can sit on an llist: anything with a `next` link. */
export interface LlistNode {
  /** The node pushed before this one, or null at the end of the chain. */
  next: LlistNode | null;
}

/** The head of an llist (`struct llist_head`). */
export class LlistHead<T extends LlistNode = LlistNode> {
  /** The newest node, or null when empty. */
  first: T | null = null;
}

/**
 * `llist_add()`: push `node` in one atomic step; true iff the list was empty
 * just before (SPEC §2.1). The caller uses that edge to decide on an interrupt.
 */
export function* llistAdd<T extends LlistNode>(node: T, head: LlistHead<T>): Kernel<boolean> {
  yield STEP;
  const first = head.first;
  node.next = first;
  head.first = node;
  return first === null;
}

/** `llist_del_all()`: detach the whole chain in one atomic step, newest first (§2.2). */
export function* llistDelAll<T extends LlistNode>(head: LlistHead<T>): Kernel<T | null> {
  yield STEP;
  const first = head.first;
  head.first = null;
  return first;
}

/** `llist_reverse_order()`: reverse a detached chain; not atomic (§2.3). */
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

/** `llist_empty()`: a racy snapshot, no step (§2.4). */
export function llistEmpty(head: LlistHead): boolean {
  return head.first === null;
}

/**
 * Walk a detached chain, reading each node's `next` before handing the node
 * out (`llist_for_each_entry_safe`), so that the visitor may requeue it.
 * A corrupted (cyclic) chain never ends, as in the kernel (SPEC §15 H5).
 */
export function* llistEntries<T extends LlistNode>(first: T | null): Generator<T, void, void> {
  let node: LlistNode | null = first;
  while (node !== null) {
    const next: LlistNode | null = node.next;
    yield node as T;
    node = next;
  }
}
