package io.danmaku.server.cli;

import io.danmaku.server.role.Role;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine.Command;

/** {@code danmaku storage}: one tier of the distributed deployment. */
@Command(name = "storage", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Run the storage tier: consumes the topic as a group, writes hot history to Redis and the archive.",
            "Needs bus.type=kafka and store.type=redis; serves the history API on storage.http.port.",
            "Stops gracefully on SIGTERM or SIGINT. Configuration keys: see docs/CONFIGURATION.md."
        },
        exitCodeListHeading = "%%nExit status:%%n",
        exitCodeList = {"0:stopped cleanly", "1:failed to start", "2:bad command line or configuration"})
public final class StorageCommand extends RoleCommand {
    public StorageCommand(Map<String, String> env, ShutdownHooks hooks, Supplier<? extends Role> roles) {
        super(env, hooks, roles);
    }
}
