// A throwaway certificate authority for the TLS tests: a CA and a server certificate for 127.0.0.1 signed by it,
// made with the openssl command. RSA, because Espruino's mbedtls offers only RSA key exchanges.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCa {
  /** The CA certificate, PEM. */
  ca: string;
  /** The server's certificate and key, PEM files, for a broker's TLS listener. */
  certFile: string;
  keyFile: string;
}

/** Why the certificates cannot be made here, or null when they can. */
export function opensslMissing(): string | null {
  return spawnSync("sh", ["-c", "command -v openssl"]).status === 0 ? null :
    "the `openssl` binary is not installed (apt-get install -y openssl)";
}

function openssl(dir: string, args: string[]): void {
  const run = spawnSync("openssl", args, { cwd: dir });
  if (run.status !== 0) throw new Error("openssl " + args.join(" ") + ": " + run.stderr.toString());
}

/** Makes the CA and the server certificate in `dir`. */
export function makeTestCa(dir: string): TestCa {
  const rsa = ["-newkey", "rsa:2048", "-nodes", "-days", "2"];
  openssl(dir, ["req", "-x509"].concat(rsa, ["-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=han test CA"]));
  openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
    "/CN=127.0.0.1"]);
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(dir, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-days", "2", "-extfile", "server.ext", "-out", "server.pem"]);
  return { ca: readFileSync(join(dir, "ca.pem"), "latin1"), certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server.key") };
}
