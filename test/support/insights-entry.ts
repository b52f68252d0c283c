// The insights' entry, bundled for the real interpreter (globalThis.__ins), for test/insights-memory.test.ts.
import { createInsights } from "../../lib/insights/index";
import { insightDiscovery, insightKeys } from "../../lib/insights/discovery";

(globalThis as unknown as { __ins: unknown }).__ins = { createInsights, insightDiscovery, insightKeys };
