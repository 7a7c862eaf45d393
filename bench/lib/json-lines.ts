import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** Calls `onLine` with each JSON line a stream prints; non-JSON lines go to `onText`. */
export function readJsonLines<T>(stream: Readable, onLine: (value: T) => void, onText: (line: string) => void = () => {}): void {
  createInterface({ input: stream }).on('line', (line) => {
    let value: T;
    try {
      value = JSON.parse(line) as T;
    } catch {
      return onText(line);
    }
    onLine(value);
  });
}
