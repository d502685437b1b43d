import type { WorkerLink } from './worker-link.js';

/**
 * Every authenticated internal link, and the list of those events may be routed to (`usable`,
 * rebuilt on every state change: changes are rare, routing reads it on every event).
 */
export class WorkerPool {
  private readonly links = new Map<number, WorkerLink>();
  private usableLinks: WorkerLink[] = [];

  get usable(): readonly WorkerLink[] {
    return this.usableLinks;
  }

  /** Ready worker links (draining ones included: they still hold work). */
  get workerCount(): number {
    let n = 0;
    for (const l of this.links.values()) if (l.ready && !l.closed) n++;
    return n;
  }

  get size(): number {
    return this.links.size;
  }

  all(): IterableIterator<WorkerLink> {
    return this.links.values();
  }

  add(link: WorkerLink): void {
    this.links.set(link.id, link);
    this.refresh();
  }

  remove(link: WorkerLink): void {
    this.links.delete(link.id);
    this.refresh();
  }

  /** Call after a link's ready / draining / closed flag changed. */
  refresh(): void {
    const usable: WorkerLink[] = [];
    for (const l of this.links.values()) if (l.routable) usable.push(l);
    this.usableLinks = usable;
  }

  /** Total unacknowledged events over all links. */
  unackedTotal(): number {
    let n = 0;
    for (const l of this.links.values()) n += l.unacked;
    return n;
  }
}
