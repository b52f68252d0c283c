// Storage as the Platform offers it (lib/device.ts readStore/writeStore), held in memory: a test reboots by
// handing the same store to a new publisher, and counts the writes.
export class MemoryStore {
  readonly files: { [name: string]: string } = {};
  writes = 0;

  readStore = (name: string): string | undefined => this.files[name];

  writeStore = (name: string, text: string): void => {
    this.files[name] = text;
    this.writes++;
  };
}
