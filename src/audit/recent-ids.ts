/** A set of the most recently added ids, at most `max` of them (the oldest go first). */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly max: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    // Sets iterate in insertion order: the first one is the oldest.
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
  }
}
