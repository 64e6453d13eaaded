package io.danmaku.gateway.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

class MessageInflaterTest {
    /** What a client sends: raw deflate, sync flush, the trailing 00 00 FF FF removed. */
    static byte[] clientDeflate(byte[] in) {
        Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        d.setInput(in);
        byte[] buf = new byte[in.length + 1024];
        int n = 0;
        do {
            if (n == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            n += d.deflate(buf, n, buf.length - n, Deflater.SYNC_FLUSH);
        } while (n == buf.length);
        d.end();
        return Arrays.copyOf(buf, n - 4);
    }

    @Test
    void inflatesOneMessageAfterAnotherWithOneInflater() throws Exception {
        MessageInflater inflater = new MessageInflater();
        for (String text : new String[] {"{\"id\":1,\"connect\":{}}", "{}", "弹幕 ".repeat(5000)}) {
            byte[] in = text.getBytes(StandardCharsets.UTF_8);
            ByteBuf out = inflater.inflate(Unpooled.wrappedBuffer(clientDeflate(in)), 1 << 20,
                    PooledByteBufAllocator.DEFAULT);
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(text);
            out.release();
        }
    }

    @Test
    void aMessageInflatingBeyondTheLimitIsRefused() throws Exception {
        byte[] bomb = clientDeflate(new byte[10 << 20]); // 10 MiB of zeros in about 10 KB
        assertThat(bomb.length).isLessThan(20_000);
        MessageInflater inflater = new MessageInflater();
        assertThatThrownBy(() -> inflater.inflate(Unpooled.wrappedBuffer(bomb), 65536,
                PooledByteBufAllocator.DEFAULT)).isInstanceOf(MessageInflater.TooBigException.class);
        // exactly at the limit is fine, and the inflater is usable after a refusal
        ByteBuf out = inflater.inflate(Unpooled.wrappedBuffer(clientDeflate(new byte[65536])), 65536,
                PooledByteBufAllocator.DEFAULT);
        assertThat(out.readableBytes()).isEqualTo(65536);
        out.release();
    }

    @Test
    void corruptDataIsRefused() {
        MessageInflater inflater = new MessageInflater();
        assertThatThrownBy(() -> inflater.inflate(Unpooled.wrappedBuffer(new byte[] {(byte) 0xFF, 1, 2, 3}), 1024,
                PooledByteBufAllocator.DEFAULT)).isInstanceOf(MessageInflater.CorruptException.class);
    }
}
