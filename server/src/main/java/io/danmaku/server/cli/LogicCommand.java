package io.danmaku.server.cli;

import io.danmaku.server.role.Role;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;

/** {@code danmaku logic}: one tier of the distributed deployment. */
@Command(name = "logic", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run the logic tier: validation, moderation and publishing; gRPC for gateways, the server API for backends.",
            "Needs bus.type=kafka and store.type=redis.",
            "Stops gracefully on SIGTERM or SIGINT. Configuration keys: see docs/CONFIGURATION.md."
        },
        exitCodeListHeading = "%%nExit status:%%n",
        exitCodeList = {"0:stopped cleanly", "1:failed to start", "2:bad command line or configuration"})
public final class LogicCommand extends RoleCommand {
    public LogicCommand(Map<String, String> env, ShutdownHooks hooks, Supplier<? extends Role> roles) {
        super(env, hooks, roles);
    }
}
