// The hour-label functions, bundled for the real interpreter (globalThis.__hours), so that test/hour-label.test.ts
// can compare what it computes with Node.
import { euSummerTime, meterTime } from "../../lib/publish/hour-label";

(globalThis as unknown as { __hours: unknown }).__hours = { euSummerTime, meterTime };
