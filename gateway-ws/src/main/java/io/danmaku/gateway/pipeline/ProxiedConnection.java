package io.danmaku.gateway.pipeline;

import io.danmaku.gateway.pipeline.ProxyConfig.ForwardedHeader;
import io.danmaku.gateway.pipeline.ProxyConfig.TrustedProxies;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import java.net.InetAddress;

/**
 * What the gateway knows of the client behind a connection that came through a proxy: the peer (the TCP peer,
 * then a PROXY header's source) and the address counted against the per-address cap. Admitted at accept without
 * an address (accept rate and gateway cap only); the client's address is counted once it is known and moved when
 * a later request on a kept-alive connection names another. Listens for the connection's close to release what
 * it counted. Used on the connection's event loop only.
 */
final class ProxiedConnection implements ChannelFutureListener {
    private final ConnectionAdmission admission;
    private final TrustedProxies trusted;
    private final ForwardedHeader header;
    private InetAddress peer;
    private InetAddress counted;

    ProxiedConnection(ConnectionAdmission admission, TrustedProxies trusted, ForwardedHeader header,
                      InetAddress tcpPeer) {
        this.admission = admission;
        this.trusted = trusted;
        this.header = header;
        this.peer = tcpPeer;
    }

    TrustedProxies trusted() {
        return trusted;
    }

    ForwardedHeader header() {
        return header;
    }

    InetAddress peer() {
        return peer;
    }

    /** The PROXY header's source replaces the TCP peer. */
    void peer(InetAddress source) {
        this.peer = source;
    }

    /** Whether the peer is a trusted proxy, whose forwarding header names the client. */
    boolean peerTrusted() {
        return trusted.contains(peer);
    }

    /** The address counted now (the client's as far as known), or null before one was. */
    InetAddress counted() {
        return counted;
    }

    /**
     * Counts the connection under {@code client} instead of what it was counted under.
     *
     * @return null when counted (or already so), else why not (the old count stays until the close)
     */
    Refusal count(InetAddress client) {
        if (client == null || client.equals(counted)) {
            return null;
        }
        Refusal refusal = admission.admitAddress(client);
        if (refusal != null) {
            return refusal;
        }
        admission.releaseAddress(counted);
        counted = client;
        return null;
    }

    @Override
    public void operationComplete(ChannelFuture closed) {
        admission.release(counted);
        counted = null;
    }
}
