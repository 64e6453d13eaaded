package io.danmaku.gateway.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameDeflaterTest {
    static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    static ByteBuf textFrame(String payload) {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuf f = ALLOC.directBuffer();
        f.writeByte(0x81);
        if (p.length < 126) {
            f.writeByte(p.length);
        } else if (p.length <= 0xFFFF) {
            f.writeByte(126).writeShort(p.length);
        } else {
            f.writeByte(127).writeLong(p.length);
        }
        return f.writeBytes(p);
    }

    static String batch(int messages) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < messages; i++) {
            if (i > 0) {
                b.append('\n');
            }
            b.append("{\"push\":{\"channel\":\"r1\",\"pub\":{\"data\":{\"id\":\"01JDXM").append(1000 + i)
                    .append("\",\"time\":17641968").append(i).append(",\"text\":\"message ").append(i)
                    .append(" 弹幕\"},\"offset\":").append(i + 1).append("}}}");
        }
        return b.toString();
    }

    /** The payload of a compressed frame, inflated the way a client does (RFC 7692 §7.2.2). */
    static String inflateFrame(ByteBuf frame) throws Exception {
        int len7 = frame.getUnsignedByte(frame.readerIndex() + 1) & 0x7F;
        int header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
        byte[] payload = new byte[frame.readableBytes() - header + 4];
        frame.getBytes(frame.readerIndex() + header, payload, 0, payload.length - 4);
        payload[payload.length - 2] = (byte) 0xFF;
        payload[payload.length - 1] = (byte) 0xFF;
        java.util.zip.Inflater inflater = new java.util.zip.Inflater(true);
        inflater.setInput(payload);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int n;
        while ((n = inflater.inflate(chunk)) > 0) {
            out.write(chunk, 0, n);
        }
        inflater.end();
        return out.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 20, 256, 3000}) // payloads with 7-bit, 16-bit and 64-bit lengths
    void aDeflatedFrameHasRsv1AndInflatesToThePlainPayload(int messages) throws Exception {
        String text = batch(messages);
        ByteBuf plain = textFrame(text);
        FrameDeflater d = new FrameDeflater(CompressionSettings.DEFAULTS);
        ByteBuf out = d.deflate(plain, ALLOC);
        try {
            assertThat(out).isNotNull();
            assertThat((int) out.getUnsignedByte(0)).isEqualTo(0x81 | 0x40);
            assertThat(out.readableBytes()).isLessThan(messages >= 20 ? plain.readableBytes() / 3
                    : plain.readableBytes());
            assertThat(inflateFrame(out)).isEqualTo(text);
            // the stream was reset: deflating again gives the same bytes (what makes sharing possible)
            ByteBuf again = d.deflate(plain, ALLOC);
            assertThat(ByteBufUtilEquals.equal(out, again)).isTrue();
            again.release();
        } finally {
            out.release();
            plain.release();
        }
    }

    @Test
    void theTrailingSyncMarkerIsRemoved() throws Exception {
        ByteBuf plain = textFrame(batch(1));
        ByteBuf out = new FrameDeflater(new CompressionSettings(true, 0, CompressionSettings.DEFAULT_LEVEL, 1))
                .deflate(plain, ALLOC);
        try {
            // the same payload deflated by hand ends with 00 00 FF FF; the frame carries all but those 4 bytes
            Deflater ref = new Deflater(CompressionSettings.DEFAULT_LEVEL, true);
            byte[] in = batch(1).getBytes(StandardCharsets.UTF_8);
            ref.setInput(in);
            byte[] buf = new byte[in.length + 64];
            int n = ref.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
            ref.end();
            assertThat(java.util.Arrays.copyOfRange(buf, n - 4, n)).containsExactly(0, 0, 0xFF, 0xFF);
            assertThat(n - 4).isLessThan(126);
            int len = out.getUnsignedByte(1) & 0x7F;
            assertThat(len).isEqualTo(n - 4);
            byte[] payload = new byte[len];
            out.getBytes(2, payload);
            assertThat(payload).isEqualTo(java.util.Arrays.copyOf(buf, n - 4));
        } finally {
            out.release();
            plain.release();
        }
    }

    @Test
    void smallFramesAreNotDeflated() {
        ByteBuf plain = textFrame("{\"push\":{}}");
        FrameDeflater d = new FrameDeflater(CompressionSettings.DEFAULTS);
        assertThat(d.deflate(plain, ALLOC)).isNull();
        assertThat(d.lastSkip()).isEqualTo(FrameDeflater.Skip.SMALL);
        plain.release();
    }

    @Test
    void incompressibleFramesAreNotSentLarger() {
        byte[] random = new byte[4000];
        new java.util.Random(7).nextBytes(random);
        ByteBuf plain = ALLOC.buffer().writeByte(0x82).writeByte(126).writeShort(random.length).writeBytes(random);
        FrameDeflater d = new FrameDeflater(CompressionSettings.DEFAULTS);
        assertThat(d.deflate(plain, ALLOC)).isNull();
        assertThat(d.lastSkip()).isEqualTo(FrameDeflater.Skip.LARGER);
        plain.release();
    }

    @Test
    void aSpentBudgetSendsPlainFramesUntilItRefills() {
        // the smallest share: a 30 KB batch takes longer than what the budget refills between two calls
        FrameDeflater d = new FrameDeflater(new CompressionSettings(true, 0, 9, 1e-9));
        ByteBuf plain = textFrame(batch(300));
        int deflated = 0;
        int skipped = 0;
        for (int i = 0; i < 10_000 && skipped == 0; i++) {
            ByteBuf out = d.deflate(plain, ALLOC);
            if (out == null) {
                assertThat(d.lastSkip()).isEqualTo(FrameDeflater.Skip.BUDGET);
                skipped++;
            } else {
                deflated++;
                out.release();
            }
        }
        assertThat(deflated).isPositive();
        assertThat(skipped).isEqualTo(1);
        plain.release();
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> new CompressionSettings(true, 0, 0, 0.5))
                .hasMessage("gateway.ws.compression.level: 0 (expected: 1..9)");
        assertThatThrownBy(() -> new CompressionSettings(true, -1, 6, 0.5))
                .hasMessageContaining("gateway.ws.compression.min-bytes: -1");
        assertThatThrownBy(() -> new CompressionSettings(true, 0, 6, 0))
                .hasMessageContaining("gateway.ws.compression.cpu-share: 0.0");
    }

    /** Byte equality of the readable parts. */
    static final class ByteBufUtilEquals {
        static boolean equal(ByteBuf a, ByteBuf b) {
            return io.netty.buffer.ByteBufUtil.equals(a, b);
        }
    }
}
