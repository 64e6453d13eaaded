package io.danmaku.rpc.internal;

import static java.util.Objects.requireNonNull;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * gRPC name resolution for a fixed list of logic instances ({@code gateway.logic.target: a:9090,b:9090}): the
 * channel's target is {@code static:///logic} and the list lives in this provider, registered in a registry of
 * the channel's own (never in gRPC's global one). Each entry's host name is looked up (all its addresses) off
 * the channel's synchronization context, at start and whenever gRPC asks for a refresh (a connection failed),
 * so a host that moves to another address is found again. Entries that do not resolve are left out; when none
 * resolves, the channel sees {@code UNAVAILABLE}.
 */
public final class StaticNameResolverProvider extends NameResolverProvider {
    public static final String SCHEME = "static";
    /** The channel target that selects this provider. */
    public static final String TARGET = SCHEME + ":///logic";

    private final List<InetSocketAddress> entries;

    public StaticNameResolverProvider(List<InetSocketAddress> entries) {
        this.entries = List.copyOf(requireNonNull(entries, "entries"));
        if (this.entries.isEmpty()) {
            throw new IllegalArgumentException("entries: [] (expected: at least one host:port)");
        }
    }

    @Override
    protected boolean isAvailable() {
        return true;
    }

    @Override
    protected int priority() {
        return 5;
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
        return List.of(InetSocketAddress.class);
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
        if (!SCHEME.equals(targetUri.getScheme())) {
            return null;
        }
        return new StaticNameResolver(entries, args.getSynchronizationContext(), args.getOffloadExecutor());
    }

    private static final class StaticNameResolver extends NameResolver {
        private final List<InetSocketAddress> entries;
        private final SynchronizationContext sync;
        private final Executor offload;
        // the fields below are only touched in the synchronization context
        private Listener2 listener;
        private boolean resolving;
        private boolean shutdown;

        StaticNameResolver(List<InetSocketAddress> entries, SynchronizationContext sync, Executor offload) {
            this.entries = entries;
            this.sync = requireNonNull(sync, "sync");
            this.offload = offload;
        }

        @Override
        public String getServiceAuthority() {
            return LogicTarget.show(entries.get(0));
        }

        @Override
        public void start(Listener2 listener) {
            this.listener = requireNonNull(listener, "listener");
            resolve();
        }

        @Override
        public void refresh() {
            resolve();
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        private void resolve() {
            if (resolving || shutdown || listener == null) {
                return;
            }
            resolving = true;
            Runnable lookup = () -> {
                Lookup result = lookUp(entries);
                sync.execute(() -> deliver(result));
            };
            if (offload == null) {
                lookup.run();
            } else {
                offload.execute(lookup);
            }
        }

        private void deliver(Lookup result) {
            resolving = false;
            if (shutdown) {
                return;
            }
            StatusOr<List<EquivalentAddressGroup>> addresses = result.groups().isEmpty()
                    ? StatusOr.fromStatus(Status.UNAVAILABLE.withDescription(
                            "no logic address resolved: " + String.join("; ", result.failures())))
                    : StatusOr.fromValue(result.groups());
            listener.onResult2(ResolutionResult.newBuilder().setAddressesOrError(addresses).build());
        }

        private static Lookup lookUp(List<InetSocketAddress> entries) {
            List<EquivalentAddressGroup> groups = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (InetSocketAddress entry : entries) {
                try {
                    for (InetAddress address : InetAddress.getAllByName(entry.getHostString())) {
                        groups.add(new EquivalentAddressGroup(new InetSocketAddress(address, entry.getPort())));
                    }
                } catch (UnknownHostException | SecurityException e) {
                    failures.add(LogicTarget.show(entry) + ": " + e);
                }
            }
            return new Lookup(groups, failures);
        }
    }

    private record Lookup(List<EquivalentAddressGroup> groups, List<String> failures) {
    }
}
