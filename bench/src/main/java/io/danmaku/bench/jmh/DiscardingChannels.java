package io.danmaku.bench.jmh;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

/** Channels whose outbound end releases what is written: the cost of the write path without a socket. */
final class DiscardingChannels {
    private DiscardingChannels() {
    }

    @ChannelHandler.Sharable
    static final class Discard extends ChannelOutboundHandlerAdapter {
        static final Discard INSTANCE = new Discard();
        long bytes;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof io.netty.buffer.ByteBuf b) {
                bytes += b.readableBytes();
            }
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
        }
    }

    static EmbeddedChannel[] open(int n) {
        EmbeddedChannel[] channels = new EmbeddedChannel[n];
        for (int i = 0; i < n; i++) {
            channels[i] = new EmbeddedChannel(Discard.INSTANCE);
        }
        return channels;
    }

    static void close(EmbeddedChannel[] channels) {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }
}
