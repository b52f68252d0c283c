/** The first feature of a regular expression that Espruino lacks, as words for an error message; null when it has
 *  none. `pattern` is the source between the slashes. */
export function regexProblem(pattern: string, flags: string): string | null;
