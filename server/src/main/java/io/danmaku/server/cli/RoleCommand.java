package io.danmaku.server.cli;

import static java.util.Objects.requireNonNull;

import io.danmaku.server.ServerException;
import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.server.logging.LogSettings;
import io.danmaku.server.logging.LogSetup;
import io.danmaku.server.role.Role;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A command that runs a {@link Role} until the process is told to stop. Resolves the configuration (errors: exit
 * status 2, the problems on stderr, no stack trace), configures logging from it ({@link #logging}), starts a
 * {@link RoleRunner} (failure: status 1), waits for the
 * shutdown hook to drain it, and returns 0.
 */
public abstract class RoleCommand implements Callable<Integer> {
    public static final int EXIT_OK = 0;
    public static final int EXIT_START_FAILED = 1;
    public static final int EXIT_BAD_CONFIG = 2;

    private static final Logger log = LoggerFactory.getLogger(RoleCommand.class);

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML configuration file (default: the file named by DANMAKU_CONFIG, if set).")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Set a configuration key, overriding the file and the environment. Repeatable.")
    List<String> assignments = new ArrayList<>();

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;
    private final ShutdownHooks hooks;
    private final Supplier<? extends Role> roles;
    private Consumer<LogSettings> logging = settings -> { };

    protected RoleCommand(Map<String, String> env, ShutdownHooks hooks, Supplier<? extends Role> roles) {
        this.env = Map.copyOf(requireNonNull(env, "env"));
        this.hooks = requireNonNull(hooks, "hooks");
        this.roles = requireNonNull(roles, "roles");
    }

    /**
     * How the command applies {@code log.format} and {@code log.level} once the configuration is loaded:
     * {@link LogSetup#toStandardOutput} in {@code danmaku}'s {@code main}; by default nothing, so that a test running
     * commands in its own JVM keeps its logging.
     */
    public RoleCommand logging(Consumer<LogSettings> logging) {
        this.logging = requireNonNull(logging, "logging");
        return this;
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        Config config;
        try {
            config = new ConfigLoader(DanmakuKeys.DEFINITION).load(configFile, env, assignments);
        } catch (ConfigException e) {
            return fail(err, "invalid configuration:", e, EXIT_BAD_CONFIG);
        }
        // before anything else is logged, so that every line has the configured format
        logging.accept(LogSettings.of(config.getString(DanmakuKeys.LOG_FORMAT).orElseThrow(),
                config.getString(DanmakuKeys.LOG_LEVEL).orElseThrow(), spec.name()));
        RoleRunner runner = new RoleRunner(config, roles.get());
        CountDownLatch stopped = new CountDownLatch(1);
        ShutdownHooks.Registration hook = hooks.onShutdown(() -> {
            runner.close();
            stopped.countDown();
        });
        try {
            runner.start();
        } catch (ConfigException e) {
            hook.cancel();
            return fail(err, "invalid configuration:", e, EXIT_BAD_CONFIG);
        } catch (ServerException e) {
            hook.cancel();
            return fail(err, "cannot start:", e, EXIT_START_FAILED);
        } catch (Exception e) { // also a checked exception a transport throws undeclared
            hook.cancel();
            log.error("Failed to start", e);
            return fail(err, "cannot start:", e, EXIT_START_FAILED);
        }
        stopped.await();
        return EXIT_OK;
    }

    private int fail(PrintWriter err, String what, Exception e, int status) {
        String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        err.println(spec.qualifiedName() + ": " + what + (message.contains("\n") ? "\n" : " ") + message);
        err.flush();
        return status;
    }
}
