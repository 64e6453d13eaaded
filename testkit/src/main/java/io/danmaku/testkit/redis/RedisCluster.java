package io.danmaku.testkit.redis;

import static java.util.Objects.requireNonNull;

import io.danmaku.testkit.tls.TestCa;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real Redis for tests and the local stack: Debian's {@code redis-server} processes on free loopback ports,
 * as a Redis Cluster (3 masters with or without one replica each) or as one plain node, in plain text or speaking
 * only TLS ({@link Tls}).
 *
 * <p>Every node is a child process ({@code --daemonize no}) with its own fresh directory under
 * {@code java.io.tmpdir} (the build's {@code target/} in tests), no persistence and
 * {@code --cluster-node-timeout 1000}, so a killed master's replica is promoted within about 2.5 s. A
 * cluster is formed with {@code redis-cli --cluster create}; {@link #start} returns once every node reports
 * {@code cluster_state:ok}, knows every other node and every replica is in sync with its master.
 *
 * <p>With {@link Tls} every node has only a TLS port ({@code port 0}, {@code tls-port}), requires client
 * certificates ({@code tls-auth-clients yes}) and speaks TLS to the other nodes as well ({@code tls-cluster yes},
 * {@code tls-replication yes}, with a client certificate of its own), so the nodes announce their TLS ports;
 * this class's own connections and {@code redis-cli} present a client certificate of the same authority, whose
 * files {@link #tlsFiles()} gives to clients under test.
 *
 * <p>A small {@code sh} watchdog shares the lifetime of this JVM: when the JVM dies, even by SIGKILL, it kills
 * the nodes by the PIDs written next to them, so no node outlives its test run. {@link #close()} kills every
 * node by PID and deletes the directories.
 *
 * <p>{@link #main} starts one for the local distributed stack and prints {@code REDIS_READY host:port,...}.
 */
public final class RedisCluster implements AutoCloseable {
    public static final String HOST = "127.0.0.1";
    /** Cluster bus port = node port + this. */
    public static final int BUS_PORT_OFFSET = 10000;
    static final Duration WAIT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration NODE_TIMEOUT = Duration.ofMillis(1000);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(20);
    private static final int MIN_BASE_PORT = 11000;
    private static final int MAX_BASE_PORT = 21000;
    private static final int START_ATTEMPTS = 3;
    private static final String PID_FILE = "node.pid";
    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);

    /** What to start. */
    public enum Layout {
        /** 3 masters, each with one replica (6 nodes): the default for tests. */
        MASTERS_AND_REPLICAS(3, 1),
        /** 3 masters without replicas. */
        MASTERS_ONLY(3, 0),
        /** One plain (non-cluster) node. */
        SINGLE(1, 0);

        private final int masters;
        private final int replicasPerMaster;

        Layout(int masters, int replicasPerMaster) {
            this.masters = masters;
            this.replicasPerMaster = replicasPerMaster;
        }

        public int nodeCount() {
            return masters * (1 + replicasPerMaster);
        }

        public boolean clustered() {
            return this != SINGLE;
        }
    }

    /** A node's role as it reports it now. */
    public enum Role {
        MASTER,
        REPLICA,
        /** Killed (not running). */
        DOWN
    }

    /**
     * What makes the nodes speak only TLS: the authority of every certificate, and the nodes' server certificate
     * (it must name the address clients reach the nodes at, which is the address they announce).
     */
    public record Tls(TestCa ca, TestCa.Issued serverCertificate) {
        public Tls {
            requireNonNull(ca, "ca");
            requireNonNull(serverCertificate, "serverCertificate");
        }

        /** Nodes with a certificate of {@code ca} for {@code 127.0.0.1} and {@code localhost}. */
        public static Tls issuedBy(TestCa ca) {
            return new Tls(ca, ca.issueServer("redis-cluster"));
        }
    }

    /**
     * The PEM files a client of a TLS cluster needs: the authority of the nodes' certificates and a client
     * certificate (with its unencrypted PKCS#8 key) that they accept.
     */
    public record TlsFiles(Path caFile, Path certFile, Path keyFile) {
    }

    /** One node: its address, the PID of its process ({@code -1} while down) and its current role. */
    public record Node(String host, int port, long pid, Role role) {
        public String address() {
            return host + ":" + port;
        }
    }

    private final Layout layout;
    private final Path runDir;
    private final List<NodeProcess> nodes = new ArrayList<>();
    /** Null in plain text. */
    private final TlsFiles tlsFiles;
    /** The nodes' certificate and key; null in plain text. */
    private final TestCa.PemFiles serverFiles;
    /** This class's own client side of TLS; null in plain text. */
    private final SSLContext clientContext;
    private Process watchdog;
    private boolean closed;

    private RedisCluster(Layout layout, int basePort, Tls tls) throws IOException {
        this.layout = layout;
        this.runDir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "redis-");
        for (int i = 0; i < layout.nodeCount(); i++) {
            nodes.add(new NodeProcess(basePort + i, runDir.resolve(Integer.toString(basePort + i))));
        }
        if (tls == null) {
            tlsFiles = null;
            serverFiles = null;
            clientContext = null;
        } else {
            Path dir = Files.createDirectories(runDir.resolve("tls"));
            TestCa.Issued client = tls.ca().issueClient("redis-cluster-client");
            TestCa.PemFiles clientFiles = client.writeTo(dir, "client");
            tlsFiles = new TlsFiles(tls.ca().writeCertificate(dir.resolve("ca.crt")), clientFiles.certFile(),
                    clientFiles.keyFile());
            serverFiles = tls.serverCertificate().writeTo(dir, "server");
            clientContext = tls.ca().trust(client).context();
        }
    }

    /** 3 masters + 3 replicas. */
    public static RedisCluster startCluster() {
        return start(Layout.MASTERS_AND_REPLICAS, 0);
    }

    /** One plain node. */
    public static RedisCluster startSingle() {
        return start(Layout.SINGLE, 0);
    }

    /**
     * Starts {@code layout} on ports {@code basePort..} (and their bus ports {@code +10000}), or on a free
     * range when {@code basePort} is 0, and waits until it is healthy.
     *
     * @throws IllegalStateException if {@code redis-server} or {@code redis-cli} is missing, or the nodes do
     *     not become healthy within 30 s
     */
    public static RedisCluster start(Layout layout, int basePort) {
        return start(layout, basePort, null);
    }

    /**
     * {@link #start(Layout, int)} with nodes that speak only TLS with {@code tls}'s certificates, or in plain text
     * when it is null.
     */
    public static RedisCluster start(Layout layout, int basePort, Tls tls) {
        requireNonNull(layout, "layout");
        if (basePort != 0 && (basePort < 1 || basePort + layout.nodeCount() - 1 + BUS_PORT_OFFSET > 65535)) {
            throw new IllegalArgumentException("basePort: " + basePort + " (expected: 0 for any free range, or"
                    + " a port whose range and bus ports +" + BUS_PORT_OFFSET + " fit below 65536)");
        }
        requireInstalled();
        RuntimeException failure = null;
        int attempts = basePort == 0 ? START_ATTEMPTS : 1;
        for (int attempt = 0; attempt < attempts; attempt++) {
            int base = basePort == 0 ? freeBasePort(layout) : basePort;
            long startNanos = System.nanoTime();
            RedisCluster cluster;
            try {
                cluster = new RedisCluster(layout, base, tls);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a directory for Redis", e);
            }
            try {
                cluster.boot();
                log.info("Redis {}{} ready on {} in {} ms (dir {})", layout, tls == null ? "" : " over TLS",
                        String.join(",", cluster.seeds()),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), cluster.runDir);
                return cluster;
            } catch (NodeExitedException e) {
                // Most likely another process took a port between the check and the start: try another range.
                cluster.close();
                failure = e;
                log.warn("Redis node exited during start on base port {}; retrying: {}", base, e.getMessage());
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
        }
        throw failure;
    }

    /** Whether {@code redis-server} and {@code redis-cli} are on the {@code PATH}. */
    public static boolean installed() {
        return onPath("redis-server") && onPath("redis-cli");
    }

    /**
     * Makes {@code redis-server} available on a fresh Debian-like machine: when it is missing, the process runs
     * as root and {@code apt-get} exists, installs Debian's {@code redis-server} and {@code redis-tools} (the
     * same packages {@code .ci/run} installs), so {@code ./mvnw verify} works on its own. Returns whether Redis
     * is installed afterwards; never throws.
     */
    public static synchronized boolean installIfMissing() {
        if (installed()) {
            return true;
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root || !onPath("apt-get") || Boolean.getBoolean("danmaku.testkit.noInstall")) {
            return false;
        }
        System.err.println("testkit: redis-server is missing; installing Debian's redis-server and redis-tools");
        try {
            run(List.of("apt-get", "update", "-qq"), 300);
            run(List.of("apt-get", "install", "-y", "-qq", "redis-server", "redis-tools"), 600);
        } catch (Exception e) {
            System.err.println("testkit: installing redis-server failed: " + e);
        }
        return installed();
    }

    private static void run(List<String> command, long timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + ": timed out");
        }
    }

    static void requireInstalled() {
        if (!installed()) {
            throw new IllegalStateException("redis-server/redis-cli not found on PATH. Tests of the Redis tier run"
                    + " a real Redis; install it (Debian/Ubuntu: apt-get install -y redis-server redis-tools,"
                    + " which .ci/run does by itself)");
        }
    }

    public Layout layout() {
        return layout;
    }

    /** The run directory: a subdirectory per node (named by port) with its {@code redis.log}; deleted on close. */
    public Path directory() {
        return runDir;
    }

    /** {@code host:port} of every node (cluster seeds). */
    public List<String> seeds() {
        return nodes.stream().map(n -> HOST + ":" + n.port).toList();
    }

    /** {@code redis://host:port} of every node ({@code rediss://} over TLS). */
    public List<String> uris() {
        String scheme = tlsFiles == null ? "redis://" : "rediss://";
        return nodes.stream().map(n -> scheme + HOST + ":" + n.port).toList();
    }

    /** The files a client needs to reach the nodes over TLS; empty in plain text. */
    public Optional<TlsFiles> tlsFiles() {
        return Optional.ofNullable(tlsFiles);
    }

    /** {@code redis://host:port} (or {@code rediss://}) of the first node (the only one of a single node). */
    public String uri() {
        return uris().get(0);
    }

    /** Every node with its current role; a killed node is {@link Role#DOWN} with PID -1. */
    public synchronized List<Node> nodes() {
        return nodes.stream().map(this::describe).toList();
    }

    /** Sends one command to {@code node} over a fresh connection and returns the reply (see {@link RespConnection}). */
    public Object call(Node node, String... args) {
        return call(requireNonNull(node, "node").port(), args);
    }

    /** The master that serves {@code key} now. */
    public synchronized Node masterOf(String key) {
        return masterOfSlot(slotOf(key));
    }

    /** The hash slot of {@code key} (honouring hash tags), as the cluster computes it. */
    public synchronized int slotOf(String key) {
        requireCluster("slotOf");
        requireNonNull(key, "key");
        return Math.toIntExact((Long) call(anyRunning().port, "CLUSTER", "KEYSLOT", key));
    }

    public synchronized Node masterOfSlot(int slot) {
        requireCluster("masterOfSlot");
        int port = slotOwners(anyRunning().port).getOrDefault(slot, -1);
        return nodes.stream().filter(n -> n.port == port).findFirst().map(this::describe)
                .orElseThrow(() -> new IllegalStateException("no master serves slot " + slot));
    }

    /**
     * Begins moving {@code slot} from the master that serves it to {@code target}, another master, as
     * {@code redis-cli --cluster reshard} does: the target imports it, the source migrates it. From then on the
     * source answers {@code ASK} for a key of the slot that it does not hold, so such a key is written on the
     * target. Returns the source. Keys are not moved: {@link #finishSlotMigration} needs the source to hold none.
     */
    public synchronized Node beginSlotMigration(int slot, Node target) {
        requireCluster("beginSlotMigration");
        Node source = masterOfSlot(slot);
        NodeProcess to = process(target);
        if (source.port() == to.port || describe(to).role() != Role.MASTER) {
            throw new IllegalArgumentException("target: " + target + " (expected: a master other than "
                    + source.address() + ", which serves slot " + slot + ")");
        }
        call(to.port, "CLUSTER", "SETSLOT", Integer.toString(slot), "IMPORTING", nodeId(source.port()));
        call(source.port(), "CLUSTER", "SETSLOT", Integer.toString(slot), "MIGRATING", nodeId(to.port));
        log.info("Redis slot {} migrating from {} to {}", slot, source.address(), target.address());
        return source;
    }

    /**
     * Ends the move of {@code slot} begun by {@link #beginSlotMigration}: the target, then every other master
     * assign it to the target, so the source answers {@code MOVED} for it. Returns once every running node sees
     * the target serve the slot.
     *
     * @throws RespConnection.ErrorReplyException if the source still holds a key of the slot
     */
    public synchronized void finishSlotMigration(int slot, Node target) {
        requireCluster("finishSlotMigration");
        NodeProcess to = process(target);
        String targetId = nodeId(to.port);
        call(to.port, "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", targetId);
        for (NodeProcess n : nodes) {
            if (n != to && n.running() && describe(n).role() == Role.MASTER) {
                call(n.port, "CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", targetId);
            }
        }
        await("slot " + slot + " served by " + target.address() + " in every node's view", () -> nodes.stream()
                .filter(NodeProcess::running)
                .allMatch(n -> slotOwnersOrEmpty(n.port).getOrDefault(slot, -1) == to.port));
        log.info("Redis slot {} now served by {}", slot, target.address());
    }

    /** SIGKILLs the master that serves {@code key} (by PID) and returns it as it was before the kill. */
    public synchronized Node killMasterOf(String key) {
        return kill(masterOf(key));
    }

    /** SIGKILLs the master that serves {@code slot} (by PID) and returns it as it was before the kill. */
    public synchronized Node killMasterOfSlot(int slot) {
        return kill(masterOfSlot(slot));
    }

    /** SIGKILLs {@code node}'s process (by PID) and waits until it is gone; returns it as it was before. */
    public synchronized Node kill(Node node) {
        NodeProcess n = process(node);
        if (!n.running()) {
            throw new IllegalStateException("node " + HOST + ":" + n.port + " is not running");
        }
        Node before = describe(n);
        Process p = n.process;
        p.destroyForcibly();
        try {
            if (!p.waitFor(WAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("node " + before.address() + " (pid " + p.pid()
                        + ") did not exit after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing " + before.address(), e);
        }
        n.process = null;
        deleteQuietly(n.dir.resolve(PID_FILE));
        log.info("Redis node {} (pid {}, {}) killed", before.address(), before.pid(), before.role());
        return before;
    }

    /**
     * Starts a killed node again on its port and directory: a cluster node keeps its identity and rejoins (a
     * former master as a replica of the one promoted in its place). With replicas, it first waits until the
     * cluster has promoted a replica for the node's slots, so an empty restarted master never takes them back.
     * Returns once the whole cluster is healthy again.
     */
    public synchronized void restart(Node node) {
        NodeProcess n = process(node);
        if (n.running()) {
            throw new IllegalStateException("node " + HOST + ":" + n.port + " is still running");
        }
        if (layout.replicasPerMaster > 0) {
            await("the slots of " + HOST + ":" + n.port + " served by promoted replicas", this::servedByRunning);
        }
        launch(n);
        awaitHealthy();
        log.info("Redis node {}:{} restarted and rejoined", HOST, n.port);
    }

    /**
     * Waits until every node runs and answers, and (cluster) every node reports {@code cluster_state:ok}, knows
     * every node, sees none failing, the layout's number of masters serve and every replica's link is up.
     */
    public synchronized void awaitHealthy() {
        await("Redis " + layout + " healthy", this::healthy);
    }

    /**
     * Waits until every running replica has processed its master's whole replication stream, so everything
     * written so far survives a master's death.
     */
    public synchronized void awaitReplicasInSync() {
        await("replicas in sync with their masters", this::replicasInSync);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Process> running = new ArrayList<>();
        for (NodeProcess n : nodes) {
            if (n.process != null) {
                n.process.destroyForcibly();
                running.add(n.process);
                n.process = null;
            }
        }
        for (Process p : running) {
            try {
                p.waitFor(WAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (watchdog != null) {
            watchdog.destroyForcibly();
        }
        deleteTree(runDir);
        log.info("Redis {} on {} stopped", layout, String.join(",", seeds()));
    }

    @Override
    public String toString() {
        return "RedisCluster[" + layout + (tlsFiles == null ? "" : " over TLS") + " on " + String.join(",", seeds())
                + "]";
    }

    // ------------------------------------------------------------------------------------------ start-up

    private void boot() {
        startWatchdog();
        for (NodeProcess n : nodes) {
            launch(n);
        }
        if (layout.clustered()) {
            createCluster();
        }
        awaitHealthy();
        if (layout.replicasPerMaster > 0) {
            awaitReplicasInSync();
        }
    }

    private void startWatchdog() {
        // Reads stdin until this JVM is gone (EOF), then SIGKILLs whatever node PIDs are still on record and
        // removes the directory.
        String script = "cat >/dev/null; for f in \"$1\"/*/" + PID_FILE + "; do"
                + " [ -f \"$f\" ] && kill -9 \"$(cat \"$f\")\" 2>/dev/null; done; sleep 1; rm -rf \"$1\"";
        try {
            watchdog = new ProcessBuilder("sh", "-c", script, "redis-watchdog", runDir.toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the Redis watchdog (sh)", e);
        }
    }

    private void launch(NodeProcess n) {
        List<String> command = new ArrayList<>(List.of("redis-server", "--bind", HOST,
                "--port", tlsFiles == null ? Integer.toString(n.port) : "0", "--dir", n.dir.toString(),
                "--daemonize", "no", "--logfile", n.dir.resolve("redis.log").toString(),
                "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"));
        if (tlsFiles != null) {
            command.addAll(List.of("--tls-port", Integer.toString(n.port),
                    "--tls-cert-file", serverFiles.certFile().toString(),
                    "--tls-key-file", serverFiles.keyFile().toString(),
                    "--tls-ca-cert-file", tlsFiles.caFile().toString(),
                    "--tls-auth-clients", "yes",
                    // what a node presents when it connects to another (replication, cluster bus, MIGRATE)
                    "--tls-client-cert-file", tlsFiles.certFile().toString(),
                    "--tls-client-key-file", tlsFiles.keyFile().toString(),
                    "--tls-replication", "yes"));
            if (layout.clustered()) {
                command.addAll(List.of("--tls-cluster", "yes"));
            }
        }
        if (layout.clustered()) {
            command.addAll(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", Long.toString(NODE_TIMEOUT.toMillis())));
        }
        try {
            Files.createDirectories(n.dir);
            Process p = new ProcessBuilder(command)
                    .directory(n.dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(n.dir.resolve("console.log").toFile()))
                    .start();
            n.process = p;
            Files.writeString(n.dir.resolve(PID_FILE), Long.toString(p.pid()), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server on port " + n.port, e);
        }
        await("redis-server on port " + n.port + " answering PING", () -> {
            if (!n.process.isAlive()) {
                throw new NodeExitedException("redis-server on port " + n.port + " exited with "
                        + n.process.exitValue() + "; log: " + tail(n.dir.resolve("redis.log")));
            }
            return "PONG".equals(tryCall(n.port, "PING"));
        });
    }

    private void createCluster() {
        List<String> command = new ArrayList<>(List.of("redis-cli"));
        if (tlsFiles != null) {
            command.addAll(List.of("--tls", "--cacert", tlsFiles.caFile().toString(),
                    "--cert", tlsFiles.certFile().toString(), "--key", tlsFiles.keyFile().toString()));
        }
        command.addAll(List.of("--cluster", "create"));
        command.addAll(seeds());
        command.addAll(List.of("--cluster-replicas", Integer.toString(layout.replicasPerMaster), "--cluster-yes"));
        Path out = runDir.resolve("create.log");
        try {
            Process p = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            if (!p.waitFor(WAIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create did not finish within " + WAIT_TIMEOUT
                        + ": " + tail(out));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed (exit " + p.exitValue() + "): "
                        + tail(out));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run redis-cli", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the cluster", e);
        }
    }

    // ------------------------------------------------------------------------------------------ health

    private boolean healthy() {
        for (NodeProcess n : nodes) {
            if (!n.running() || !"PONG".equals(tryCall(n.port, "PING"))) {
                return false;
            }
        }
        if (!layout.clustered()) {
            return true;
        }
        int masters = 0;
        for (NodeProcess n : nodes) {
            Map<String, String> info = fields(tryCall(n.port, "CLUSTER", "INFO"));
            if (!"ok".equals(info.get("cluster_state"))
                    || !Integer.toString(nodes.size()).equals(info.get("cluster_known_nodes"))) {
                return false;
            }
            Object clusterNodes = tryCall(n.port, "CLUSTER", "NODES");
            if (!(clusterNodes instanceof String lines) || anyFlagged(lines)) {
                return false;
            }
            Map<String, String> replication = fields(tryCall(n.port, "INFO", "replication"));
            String role = replication.get("role");
            if ("master".equals(role)) {
                masters++;
            } else if (!"slave".equals(role) || !"up".equals(replication.get("master_link_status"))
                    || !"0".equals(replication.get("master_sync_in_progress"))) {
                return false;
            }
        }
        return masters == layout.masters;
    }

    /** True if any node in a {@code CLUSTER NODES} listing is failing, unreachable or still in handshake. */
    private static boolean anyFlagged(String clusterNodes) {
        for (String line : clusterNodes.split("\n")) {
            String[] columns = line.trim().split(" ");
            if (columns.length > 2) {
                String flags = columns[2];
                if (flags.contains("fail") || flags.contains("handshake") || flags.contains("noaddr")) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean replicasInSync() {
        Map<Integer, Long> masterOffsets = new HashMap<>();
        List<Map<String, String>> replicas = new ArrayList<>();
        for (NodeProcess n : nodes) {
            if (!n.running()) {
                continue;
            }
            Map<String, String> replication = fields(tryCall(n.port, "INFO", "replication"));
            if ("master".equals(replication.get("role"))) {
                masterOffsets.put(n.port, Long.parseLong(replication.getOrDefault("master_repl_offset", "-1")));
            } else if ("slave".equals(replication.get("role"))) {
                replicas.add(replication);
            } else {
                return false;
            }
        }
        for (Map<String, String> replica : replicas) {
            Long masterOffset = masterOffsets.get(Integer.parseInt(replica.getOrDefault("master_port", "-1")));
            if (masterOffset == null || !"up".equals(replica.get("master_link_status"))
                    || masterOffset != Long.parseLong(replica.getOrDefault("slave_repl_offset", "-2"))) {
                return false;
            }
        }
        return true;
    }

    /** Every slot is served by a running master in the view of every running node. */
    private boolean servedByRunning() {
        List<Integer> running = nodes.stream().filter(NodeProcess::running).map(n -> n.port).toList();
        for (int port : running) {
            Map<String, String> info = fields(tryCall(port, "CLUSTER", "INFO"));
            if (!"ok".equals(info.get("cluster_state"))) {
                return false;
            }
            Map<Integer, Integer> owners = slotOwnersOrEmpty(port);
            if (owners.size() != 16384 || !running.containsAll(owners.values().stream().distinct().toList())) {
                return false;
            }
        }
        return true;
    }

    /** {@link #slotOwners}, or nothing while the node does not answer. */
    private Map<Integer, Integer> slotOwnersOrEmpty(int port) {
        try {
            return slotOwners(port);
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    private String nodeId(int port) {
        return (String) call(port, "CLUSTER", "MYID");
    }

    /** Slot → master port from {@code CLUSTER SLOTS} as node {@code port} sees it. */
    private Map<Integer, Integer> slotOwners(int port) {
        Map<Integer, Integer> owners = new HashMap<>();
        for (Object range : (List<?>) call(port, "CLUSTER", "SLOTS")) {
            List<?> r = (List<?>) range;
            int from = Math.toIntExact((Long) r.get(0));
            int to = Math.toIntExact((Long) r.get(1));
            int masterPort = Math.toIntExact((Long) ((List<?>) r.get(2)).get(1));
            for (int slot = from; slot <= to; slot++) {
                owners.put(slot, masterPort);
            }
        }
        return owners;
    }

    // ------------------------------------------------------------------------------------------ helpers

    private Node describe(NodeProcess n) {
        Process p = n.process;
        if (!n.running()) {
            return new Node(HOST, n.port, -1, Role.DOWN);
        }
        Object role = tryCall(n.port, "ROLE");
        Role r = role instanceof List<?> l && !l.isEmpty() && "master".equals(l.get(0)) ? Role.MASTER
                : role instanceof List<?> ? Role.REPLICA : Role.DOWN;
        return new Node(HOST, n.port, p.pid(), r);
    }

    private NodeProcess process(Node node) {
        requireNonNull(node, "node");
        return nodes.stream().filter(n -> n.port == node.port()).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("node: " + node + " (expected: a node of " + this
                        + ")"));
    }

    private NodeProcess anyRunning() {
        return nodes.stream().filter(NodeProcess::running).findFirst()
                .orElseThrow(() -> new IllegalStateException("no Redis node is running"));
    }

    private void requireCluster(String what) {
        if (!layout.clustered()) {
            throw new IllegalStateException(what + " needs a cluster (this is " + layout + ")");
        }
    }

    private Object call(int port, String... args) {
        try (RespConnection c = RespConnection.open(HOST, port, CALL_TIMEOUT, clientContext)) {
            return c.call(args);
        } catch (IOException e) {
            throw new UncheckedIOException("Redis " + HOST + ":" + port + " " + String.join(" ", args), e);
        }
    }

    /** {@link #call}, or null when the node does not answer or answers with an error. */
    private Object tryCall(int port, String... args) {
        try (RespConnection c = RespConnection.open(HOST, port, CALL_TIMEOUT, clientContext)) {
            return c.call(args);
        } catch (IOException | RespConnection.ErrorReplyException e) {
            return null;
        }
    }

    /** {@code name:value} lines of an INFO-style reply. */
    private static Map<String, String> fields(Object reply) {
        Map<String, String> fields = new HashMap<>();
        if (reply instanceof String text) {
            for (String line : text.split("\r?\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
                }
            }
        }
        return fields;
    }

    private void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(what + ": not reached within " + WAIT_TIMEOUT.toSeconds()
                        + " s (node logs under " + runDir + ")");
            }
            try {
                Thread.sleep(POLL_INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }

    private static int freeBasePort(Layout layout) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 100; attempt++) {
            int base = random.nextInt(MIN_BASE_PORT, MAX_BASE_PORT);
            boolean free = true;
            for (int i = 0; i < layout.nodeCount() && free; i++) {
                free = bindable(base + i) && (!layout.clustered() || bindable(base + i + BUS_PORT_OFFSET));
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no free loopback port range for " + layout + " found");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onPath(String program) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no " + file.getFileName() + ")";
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", file, e.toString());
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(RedisCluster::deleteQuietly);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", dir, e.toString());
        }
    }

    /** One node's fixed port and directory, and its process while it runs. */
    private static final class NodeProcess {
        final int port;
        final Path dir;
        Process process;

        NodeProcess(int port, Path dir) {
            this.port = port;
            this.dir = dir;
        }

        boolean running() {
            Process p = process;
            return p != null && p.isAlive();
        }
    }

    /** A node process ended while it was being started. */
    private static final class NodeExitedException extends IllegalStateException {
        NodeExitedException(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------------------------------------ launcher

    /**
     * Starts Redis for the local stack: {@code RedisCluster [cluster|masters|single] [basePort]} (defaults:
     * {@code cluster 7000}; base port 0 picks a free range). Prints {@code REDIS_READY host:port,...} once
     * healthy, then runs until stdin ends or the JVM is told to stop (SIGTERM); with
     * {@code -DwatchStdin=false} only a signal stops it (for {@code </dev/null} from a shell).
     */
    public static void main(String[] args) throws Exception {
        Layout layout = switch (args.length > 0 ? args[0] : "cluster") {
            case "cluster" -> Layout.MASTERS_AND_REPLICAS;
            case "masters" -> Layout.MASTERS_ONLY;
            case "single" -> Layout.SINGLE;
            default -> throw new IllegalArgumentException("layout: \"" + args[0]
                    + "\" (expected: cluster, masters or single)");
        };
        int basePort = args.length > 1 ? Integer.parseInt(args[1]) : 7000;
        RedisCluster redis = start(layout, basePort);
        Runtime.getRuntime().addShutdownHook(new Thread(redis::close, "redis-stop"));
        System.out.println("REDIS_READY " + String.join(",", redis.seeds()));
        System.out.flush();
        if (!Boolean.parseBoolean(System.getProperty("watchStdin", "true"))) {
            Thread.currentThread().join();
        }
        while (System.in.read() != -1) {
            // Runs until the parent closes our stdin.
        }
        System.exit(0);
    }
}
