// A minimal on/emit for the device (Node's EventEmitter is not there). A listener that throws must not break the
// socket callback that emitted: Espruino removes a callback that throws, which would silence the connection.

export type Listener = (a?: any, b?: any, c?: any) => void;

export abstract class Emitter {
  private listeners: { [event: string]: Listener[] } = {};

  on(event: string, fn: Listener): this {
    const list = this.listeners[event];
    if (list) list.push(fn);
    else this.listeners[event] = [fn];
    return this;
  }

  protected emit(event: string, a?: unknown, b?: unknown, c?: unknown): void {
    const list = this.listeners[event];
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i](a, b, c);
      } catch (e) {
        this.listenerFailed(e);
      }
    }
  }

  /** Called with what a listener threw. */
  protected abstract listenerFailed(error: unknown): void;
}
