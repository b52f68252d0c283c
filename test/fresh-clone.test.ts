// A clone of the repository alone has no real meter captures (they sit next to it, in ../shared). The test files
// that read them must still load there, run what needs only the repository, and skip the rest saying why. This
// copies the working tree (tracked files and untracked ones not ignored) into a folder with nothing next to it and
// runs those files there; only those, since the whole suite would take twice as long.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Set for the run in the copy: a test file there must never start another copy. */
const GUARD = "HAN_FRESH_CLONE";
const CAPTURES_IMPORT = /from "\.\/support\/vectors"/;

/** The repository's files as a clone would have them, or why they cannot be listed. */
function repositoryFiles(): { files: string[] } | { missing: string } {
  if (process.env[GUARD]) return { missing: "this run is already the one in a fresh clone" };
  const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { cwd: ROOT, encoding: "utf8" });
  if (listed.error || listed.status !== 0) {
    return { missing: "git cannot list the repository's files (" + (listed.error || listed.stderr.trim()) + ")" };
  }
  if (!existsSync(join(ROOT, "node_modules"))) return { missing: "node_modules is not installed (npm ci)" };
  // Tracked files deleted from the working tree are listed too; node_modules is linked into the copy, and listed
  // when it is itself a link (the ignore rule `node_modules/` matches directories only).
  return { files: listed.stdout.split("\0")
    .filter((f) => f !== "" && f.split("/")[0] !== "node_modules" && existsSync(join(ROOT, f))) };
}

const listing = repositoryFiles();
const skip = "missing" in listing ? "SKIPPED: " + listing.missing : false;
if ("missing" in listing) console.error("*** SKIPPING the fresh-clone test: " + listing.missing + " ***");

function run(cwd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env = Object.assign({}, process.env, { [GUARD]: "1" });
    // Set by the runner for the files it starts; a nested runner would report to it instead of printing.
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, args, { cwd, env });
    let output = "";
    child.stdout.on("data", (d: Buffer) => { output += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { output += d.toString(); });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

function count(output: string, name: string): number {
  const m = new RegExp("^# " + name + " (\\d+)$", "m").exec(output);
  assert.ok(m, "the run reports how many tests " + name);
  return Number(m[1]);
}

test("in a clone without ../shared, the test files that use the captures load, pass, and skip those tests saying why",
  { skip, timeout: 180000 }, async () => {
    const files = (listing as { files: string[] }).files;
    const captureTests = readdirSync(join(ROOT, "test")).filter((f) => f.endsWith(".test.ts")).map((f) => "test/" + f)
      .filter((f) => CAPTURES_IMPORT.test(readFileSync(join(ROOT, f), "utf8")));
    assert.ok(captureTests.includes("test/conformance.test.ts"), "found the files that import the captures");
    const outside = mkdtempSync(join(tmpdir(), "han-fresh-clone-"));
    try {
      const clone = join(outside, "repo");
      for (const file of files) cpSync(join(ROOT, file), join(clone, file));
      symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"), "dir");
      assert.equal(existsSync(join(outside, "shared")), false);

      const { code, output } = await run(clone, ["--import", "tsx", "--test", "--test-reporter=tap", ...captureTests]);
      const tail = output.slice(-3000);
      assert.equal(code, 0, tail);
      assert.doesNotMatch(output, /^\s*not ok /m, tail);
      assert.equal(count(output, "fail"), 0);
      assert.equal(count(output, "cancelled"), 0);
      assert.ok(count(output, "pass") > 0, "what needs only the repository ran");
      const skipped = count(output, "skipped");
      assert.ok(skipped > 0, "the tests on captures were skipped");
      // Each skip carries its reason, and each file says once, on a line of its own, why it skips.
      const reasons = output.split("\n").filter((l) => / # SKIP/.test(l)).map((l) => l.replace(/^.* # SKIP ?/, ""));
      assert.ok(reasons.length >= skipped);
      for (const reason of reasons) assert.match(reason, /captures are not next to this repository .*vectors\.json/);
      for (const file of captureTests) {
        const name = file.slice("test/".length).replace(/[.]/g, "\\.");
        const lines = output.match(new RegExp("^# \\*\\*\\* SKIPPING the tests of " + name + " .*$", "gm")) || [];
        assert.equal(lines.length, 1, file + " says once why it skips");
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
