package io.danmaku.server;

import io.danmaku.server.cli.ConfigDocsCommand;
import io.danmaku.server.cli.GatewayCommand;
import io.danmaku.server.cli.LogicCommand;
import io.danmaku.server.cli.StorageCommand;
import io.danmaku.server.role.GatewayRole;
import io.danmaku.server.role.LogicRole;
import io.danmaku.server.role.StorageRole;
import io.danmaku.server.cli.ShutdownHooks;
import io.danmaku.server.cli.StandaloneCommand;
import io.danmaku.server.cli.TokenCommand;
import io.danmaku.server.cli.VersionProvider;
import io.danmaku.server.logging.LogSettings;
import io.danmaku.server.logging.LogSetup;
import io.danmaku.server.role.Role;
import io.danmaku.server.role.StandaloneRole;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code danmaku} executable: {@code danmaku standalone|gateway|logic|storage}, {@code danmaku token},
 * {@code danmaku config-docs},
 * {@code --help}, {@code --version}.
 */
@Command(name = "danmaku", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Realtime chat / danmaku (bullet comment) server.",
        commandListHeading = "%nCommands:%n")
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        int status = execute(args, System.getenv(), ShutdownHooks.jvm(), StandaloneRole::new,
                new PrintWriter(System.out, true), new PrintWriter(System.err, true), LogSetup::toStandardOutput);
        System.exit(status);
    }

    /**
     * Runs the command line and returns the exit status (see {@link io.danmaku.server.cli.RoleCommand}); the
     * environment, shutdown hooks, role and output streams are parameters so tests can run it in-process. The
     * roles leave logging as it is configured.
     */
    public static int execute(String[] args, Map<String, String> env, ShutdownHooks hooks,
            Supplier<? extends Role> standaloneRole, PrintWriter out, PrintWriter err) {
        return execute(args, env, hooks, standaloneRole, out, err, settings -> { });
    }

    /**
     * As {@link #execute(String[], Map, ShutdownHooks, Supplier, PrintWriter, PrintWriter)}, with the roles
     * configuring logging through {@code logging} once their configuration is loaded ({@code main}:
     * {@link LogSetup#toStandardOutput}).
     */
    public static int execute(String[] args, Map<String, String> env, ShutdownHooks hooks,
            Supplier<? extends Role> standaloneRole, PrintWriter out, PrintWriter err,
            Consumer<LogSettings> logging) {
        CommandLine commandLine = new CommandLine(new Main())
                .addSubcommand(new StandaloneCommand(env, hooks, standaloneRole).logging(logging))
                .addSubcommand(new GatewayCommand(env, hooks, GatewayRole::new).logging(logging))
                .addSubcommand(new LogicCommand(env, hooks, LogicRole::new).logging(logging))
                .addSubcommand(new StorageCommand(env, hooks, StorageRole::new).logging(logging))
                .addSubcommand(new TokenCommand(env, Clock.systemUTC()))
                .addSubcommand(new ConfigDocsCommand());
        commandLine.setOut(out);
        commandLine.setErr(err);
        return commandLine.execute(args);
    }

    /** {@code danmaku} alone: a usage error. */
    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command: standalone, gateway, logic, storage, token or config-docs");
    }
}
