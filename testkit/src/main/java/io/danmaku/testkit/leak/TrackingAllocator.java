package io.danmaku.testkit.leak;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * An unpooled allocator that remembers every buffer it hands out, so a test can check right after a case that
 * each one was released, without waiting for a garbage collection as Netty's leak detector must. Set it on a
 * channel ({@code channel.config().setAllocator(...)}) and it sees what the pipeline allocates through
 * {@code ctx.alloc()}; buffers from other allocators are left to the leak detector. Not thread-safe: one channel
 * on one thread, as with {@code EmbeddedChannel}.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {
    private final List<ByteBuf> allocated = new ArrayList<>();

    public TrackingAllocator() {
        super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    @Override
    public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
        return track(super.compositeHeapBuffer(maxNumComponents));
    }

    @Override
    public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
        return track(super.compositeDirectBuffer(maxNumComponents));
    }

    private <T extends ByteBuf> T track(T buf) {
        allocated.add(buf);
        return buf;
    }

    /** How many buffers this allocator handed out and are not yet released. */
    public int unreleased() {
        int n = 0;
        for (ByteBuf b : allocated) {
            if (b.refCnt() != 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * Throws an {@link AssertionError} naming the buffers still held, then releases them (so one failing case
     * does not also fail every case after it); forgets everything it tracked either way.
     */
    public void assertAllReleased(String what) {
        List<String> held = new ArrayList<>();
        for (ByteBuf b : allocated) {
            if (b.refCnt() != 0) {
                held.add(b.toString() + " refCnt=" + b.refCnt());
                b.release(b.refCnt());
            }
        }
        allocated.clear();
        if (!held.isEmpty()) {
            throw new AssertionError(what + ": " + held.size() + " buffer(s) not released: " + held);
        }
    }
}
