// What Espruino's regular expressions can do, as one check shared by the lint (eslint.config.js, which loads
// plain JavaScript) and the bundle check (scripts/check-bundle.ts). Espruino's engine (2v29, tried in the real
// interpreter) matches literals, `.`, classes and ranges, `\d \s \w \D \S \W`, `\t \n \r \f \v \0 \xHH`, `*`, `+`,
// `^`, `$` and a top-level `|`. Everything else fails quietly: `?`, `{n,m}`, groups (quantified, or followed by
// more pattern after an inner `|`), lookaround, `\b`, back-references and `\uXXXX` never match, and a `/` inside
// `[...]` ends the literal in Espruino's lexer, so the whole script fails to load.

const FLAGS = "gim";
const ESCAPES = "dDsSwWtnrfv0x";

/**
 * The first feature of a regular expression that Espruino lacks, as words for an error message; null when it
 * has none.
 * @param {string} pattern the source between the slashes (acorn's and ESLint's `regex.pattern`)
 * @param {string} flags
 * @returns {string | null}
 */
export function regexProblem(pattern, flags) {
  for (let i = 0; i < flags.length; i++) {
    if (FLAGS.indexOf(flags.charAt(i)) < 0) return "the flag " + flags.charAt(i) + " (only g, i and m exist)";
  }
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (ch === "\\") {
      const next = pattern.charAt(++i);
      if (/[a-zA-Z0-9]/.test(next) && ESCAPES.indexOf(next) < 0 && !(inClass && next === "b")) {
        if (next === "b" || next === "B") return "the word boundary \\" + next + " (never matches)";
        if (next >= "1" && next <= "9") return "a back-reference \\" + next + " (never matches)";
        return "the escape \\" + next + " (never matches)";
      }
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      else if (ch === "/") return "an unescaped / inside [...] (Espruino's lexer ends the literal there: the script fails to load)";
      continue;
    }
    if (ch === "[") inClass = true;
    else if (ch === "(") {
      if (pattern.charAt(i + 1) === "?") {
        const kind = pattern.slice(i + 2, i + 4);
        if (kind.charAt(0) === "=" || kind.charAt(0) === "!") return "a lookahead (?" + kind.charAt(0) + " (never matches)";
        if (kind === "<=" || kind === "<!") return "a lookbehind (?" + kind + " (never matches)";
      }
      return "a group ( ) (with a quantifier, or with more pattern after an inner |, it never matches); " +
        "use a top-level | or code";
    } else if (ch === "?") return "the ? quantifier (never matches)";
    else if (ch === "{") return "a numeric quantifier {n,m} or a bare { (never matches; escape a literal { as \\{)";
  }
  return null;
}
