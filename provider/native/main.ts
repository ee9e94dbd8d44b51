import { startServer } from "./server";

/**
 * The plugin's entry: `pulumi-resource-calico` runs it with node. The engine passes its own
 * address as the last argument (the provider's messages go there) and reads the port from the
 * first line of stdout; everything else goes to stderr.
 */
const version = (require("../../../package.json") as { version: string }).version;
const engine = process.argv.slice(2).find((a) => /^[\w.-]+:\d+$/.test(a));
startServer(version, engine).catch((e: Error) => {
  process.stderr.write(`pulumi-resource-calico: ${e.message}\n`);
  process.exit(1);
});
