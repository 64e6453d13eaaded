package io.danmaku.server.cli;

import io.danmaku.server.role.Role;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;

/** {@code danmaku standalone}: every tier in one process, with the in-memory bus and store. */
@Command(name = "standalone", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run the gateway, logic and storage tiers in one process, with the in-memory message bus and store.",
            "Stops gracefully on SIGTERM or SIGINT (readiness off, clients drained over gateway.drain.window).",
            "Configuration keys: see docs/CONFIGURATION.md or `danmaku config-docs`."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:stopped cleanly", "1:failed to start", "2:bad command line or configuration"})
public final class StandaloneCommand extends RoleCommand {
    public StandaloneCommand(Map<String, String> env, ShutdownHooks hooks, Supplier<? extends Role> roles) {
        super(env, hooks, roles);
    }
}
