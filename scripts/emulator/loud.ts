// Emulated Espruino objects fail loudly: touching a member the emulator does not provide throws an error that
// names it, instead of handing the firmware `undefined` (which would surface far away, or not at all). The Proxy
// is made in Node's own realm because the Espruino-shaped context has no Proxy.

/** Names that JavaScript machinery reads on any object without meaning to call an Espruino API. */
const INTROSPECTION = ["then", "toJSON", "inspect", "nodeType", "asymmetricMatch", "$$typeof", "constructor",
  "prototype", "length", "name"];

/** `target` wrapped so that reading any member it lacks throws "Espruino API <label>.<member> is not emulated".
 *  `makeError` builds the error in the firmware's realm, so that firmware code catching it sees its own Error. */
export function loud<T extends object>(label: string, target: T, makeError: (message: string) => Error): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === "symbol" || prop in t || INTROSPECTION.indexOf(prop) >= 0) {
        return Reflect.get(t, prop, receiver);
      }
      throw makeError("Espruino API " + label + "." + prop + " is not emulated");
    },
  });
}
