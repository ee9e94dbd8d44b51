import { startServer } from "./server";

/**
 * The plugin's entry: `pulumi-resource-calico` runs it with node. The engine passes its own
 * address as the last argument (unused: nothing here calls back) and reads the port from the
 * first line of stdout; everything else goes to stderr.
 */
const version = (require("../../../package.json") as { version: string }).version;
startServer(version).catch((e: Error) => {
  process.stderr.write(`pulumi-resource-calico: ${e.message}\n`);
  process.exit(1);
});
