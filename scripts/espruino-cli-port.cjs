// Loaded (node --require) into the `espruino` command-line tool by scripts/device-link.ts. The tool opens only a
// port that serialport's list() reports, and on Linux that list comes from udev: a /dev/serial/by-id/... link, a
// pseudo-terminal (the emulator's console), or any port on a host without udevadm would be "not found". The port
// named in HAN_SERIAL_PORT is added to the list; opening it is then up to the operating system, which is where
// the errors worth reporting (no such file, permission denied) come from.
"use strict";
const { createRequire } = require("node:module");

const wanted = process.env.HAN_SERIAL_PORT;
if (wanted) {
  // The tool's own copy of serialport, as its node_modules resolve it.
  const toolRequire = createRequire(require.resolve("espruino/index.js"));
  const { SerialPort } = toolRequire("serialport");
  const list = SerialPort.list.bind(SerialPort);
  SerialPort.list = function () {
    return list().catch(function () { return []; }).then(function (ports) {
      return ports.some(function (p) { return p.path === wanted; }) ? ports : ports.concat([{ path: wanted }]);
    });
  };
}
