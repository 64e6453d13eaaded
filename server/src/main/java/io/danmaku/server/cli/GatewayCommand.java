package io.danmaku.server.cli;

import io.danmaku.server.role.Role;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;

/** {@code danmaku gateway}: one tier of the distributed deployment. */
@Command(name = "gateway", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run the access tier: WebSocket gateway (Centrifugo JSON and Bilibili protocols), fan-out of every room.",
            "Needs bus.type=kafka and store.type=redis; forwards posts to logic (gateway.logic.target).",
            "Stops gracefully on SIGTERM or SIGINT. Configuration keys: see docs/CONFIGURATION.md."
        },
        exitCodeListHeading = "%%nExit status:%%n",
        exitCodeList = {"0:stopped cleanly", "1:failed to start", "2:bad command line or configuration"})
public final class GatewayCommand extends RoleCommand {
    public GatewayCommand(Map<String, String> env, ShutdownHooks hooks, Supplier<? extends Role> roles) {
        super(env, hooks, roles);
    }
}
