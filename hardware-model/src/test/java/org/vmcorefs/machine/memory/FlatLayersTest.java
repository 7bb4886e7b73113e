package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.MemoryRange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Layers built over layers (a dump's segments under the capture kernel's bytes under a saved area) read through
 * one flat table: the same bytes as the stack they were built from, straight from the leaves.
 */
class FlatLayersTest {
    private static final int SPACE = 1 << 16;

    /** Memory whose byte at address a is a function of (tag, a); counts its reads and how deep in layers each was. */
    static final class Leaf implements PhysicalMemory {
        final int tag;
        int reads;
        int deepestLayers;

        Leaf(int tag) {
            this.tag = tag;
        }

        byte at(long address) {
            return (byte) (tag * 31 + address * 7 + (address >>> 8));
        }

        @Override
        public void read(long address, ByteBuffer dst) {
            reads++;
            deepestLayers = Math.max(deepestLayers, layeredReadsOnStack());
            while (dst.hasRemaining()) {
                dst.put(at(address++));
            }
        }
    }

    /** How many LayeredMemory.read calls the current read went through. */
    static int layeredReadsOnStack() {
        return (int) Arrays.stream(Thread.currentThread().getStackTrace())
                .filter(f -> f.getClassName().equals(LayeredMemory.class.getName()) && f.getMethodName().equals("read"))
                .count();
    }

    private static byte[] read(PhysicalMemory m, long address, int length) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        m.read(address, b);
        assertFalse(b.hasRemaining(), "read must fill its buffer");
        return b.array();
    }

    /** A level of the stack and its reference bytes over [0, SPACE). */
    private record Level(PhysicalMemory memory, byte[] bytes) {
    }

    /**
     * Lays random extents over {@code below}; each extent reads a new leaf, or one of the lower levels (at an
     * address inside the space, so that the reference can follow it).
     */
    private static Level layer(Level below, List<Level> lower, SplittableRandom r, int unit, int tagBase) {
        LayeredMemory.Builder b = LayeredMemory.over(below.memory);
        byte[] ref = below.bytes.clone();
        int units = SPACE / unit;
        for (int i = 0; i < 12; i++) {
            long start = (long) r.nextInt(units) * unit;
            long size = Math.min(SPACE - start, (long) r.nextInt(1, Math.max(2, units / 6)) * unit);
            if (r.nextBoolean()) {
                Leaf leaf = new Leaf(tagBase + i);
                long from = r.nextInt(1 << 20);
                b.put(start, size, leaf, from);
                for (long k = 0; k < size; k++) {
                    ref[(int) (start + k)] = leaf.at(from + k);
                }
            } else {
                Level source = lower.get(r.nextInt(lower.size()));
                long from = r.nextLong(SPACE - size + 1);
                b.put(start, size, source.memory, from);
                System.arraycopy(source.bytes, (int) from, ref, (int) start, (int) size);
            }
        }
        return new Level(b.build(), ref);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 8, 128, 4096, 8192})
    void aStackOfLayersReadsLikeTheStackItWasBuiltFrom(int unit) throws DumpException {
        SplittableRandom r = new SplittableRandom(unit * 7919L);
        Leaf bg = new Leaf(0);
        byte[] bgBytes = new byte[SPACE];
        for (int i = 0; i < SPACE; i++) {
            bgBytes[i] = bg.at(i);
        }
        List<Level> levels = new ArrayList<>(List.of(new Level(bg, bgBytes)));
        for (int depth = 1; depth <= 3; depth++) {
            levels.add(layer(levels.get(levels.size() - 1), List.copyOf(levels), r, unit, depth * 100));
        }
        Level top = levels.get(levels.size() - 1);
        assertArrayEquals(top.bytes, read(top.memory, 0, SPACE), "one read of the whole space");
        for (int i = 0; i < 300; i++) {
            int start = r.nextInt(SPACE);
            int length = r.nextInt(0, Math.min(SPACE - start, 9000) + 1);
            assertArrayEquals(Arrays.copyOfRange(top.bytes, start, start + length), read(top.memory, start, length),
                    "read at " + start + " length " + length);
        }
        long[] at = {0};
        top.memory.resolve(0, SPACE, (address, length, leaf, leafAddress) -> {
            assertEquals(at[0], address, "pieces follow each other");
            assertTrue(leaf instanceof Leaf, "every piece is a leaf, not " + leaf);
            for (long k = 0; k < length; k += Math.max(1, length / 16)) {
                assertEquals(top.bytes[(int) (address + k)], ((Leaf) leaf).at(leafAddress + k));
            }
            at[0] += length;
        });
        assertEquals(SPACE, at[0]);
    }

    @Test
    void aReadThroughThreeLayersCallsTheLeafOnceFromOneTable() throws DumpException {
        Leaf crashed = new Leaf(1);
        Leaf capture = new Leaf(2);
        Leaf saved = new Leaf(3);
        LayeredMemory dumpFile = LayeredMemory.over(PhysicalMemory.ZEROS).append(0, SPACE, crashed, 0).build();
        LayeredMemory now = LayeredMemory.over(dumpFile).put(0, 0x1000, capture, 0).build();
        LayeredMemory old = LayeredMemory.over(now).put(0, 0x1000, saved, 0).build();
        assertArrayEquals(read(crashed, 0x2000, 0x800), read(old, 0x2000, 0x800));
        assertEquals(2, crashed.reads, "the reference read and the layered one");
        assertEquals(1, crashed.deepestLayers, "one table between the reader and the leaf");
        read(old, 0x800, 0x1000);
        assertEquals(1, saved.reads);
        assertEquals(3, crashed.reads, "the part after the saved area");
        assertEquals(0, capture.reads, "the saved area hides the capture kernel's bytes");
    }

    @Test
    void aStateCheckingMemoryStaysALeafAndReleasedMemoryStillFails() throws DumpException {
        Leaf crashed = new Leaf(1);
        Leaf running = new Leaf(2);
        ReservedMemory reservations = new ReservedMemory(List.of(new MemoryRange(0x4000, 0x8000)), 0x1000,
                new EventLog());
        LayeredMemory preserved = LayeredMemory.over(crashed).put(0, 0x1000, running, 0).build();
        ReclaimableMemory guarded = new ReclaimableMemory(preserved, reservations, null, "test memory");
        LayeredMemory old = LayeredMemory.over(guarded).put(0, 0x1000, guarded, 0x8000).build();
        List<PhysicalMemory> leaves = new ArrayList<>();
        old.resolve(0, SPACE, (address, length, leaf, leafAddress) -> leaves.add(leaf));
        assertEquals(List.of(guarded, guarded), leaves, "the layers above a reclaimable memory end at it");

        assertArrayEquals(read(crashed, 0x5000, 0x100), read(old, 0x5000, 0x100));
        assertEquals(2, crashed.deepestLayers, "the layer above it, then its own flat table (a layout skips the first)");
        reservations.release(new MemoryRange(0x5000, 0x1000));
        DumpException e = org.junit.jupiter.api.Assertions.assertThrows(DumpException.class,
                () -> read(old, 0x4ff0, 0x20));
        assertEquals(Errno.EIO, e.errno());
        assertArrayEquals(read(crashed, 0x6000, 0x100), read(old, 0x6000, 0x100), "what is still reserved reads");
    }
}
