package org.vmcorefs.format.env.phyp;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.PowerMachines;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.text.ReleaseRequest;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.VirtualFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.vmcorefs.format.text.ReleaseRegionText;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.mechanism.FirmwareDump;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;

/** /sys/kernel/release_region: the kernel's line, a tool releasing what it prints, and bad writes. */
class ReleaseRegionTest {
    /** The kernel's format, read back: four (address, length) pairs. */
    private static final Pattern LINE = Pattern.compile(
            "CPU:0x(\\p{XDigit}+)-0x(\\p{XDigit}+): HPTE:0x(\\p{XDigit}+)-0x(\\p{XDigit}+): "
                    + "DUMP:0x(\\p{XDigit}+)-0x(\\p{XDigit}+), 0x(\\p{XDigit}+)-0x(\\p{XDigit}+):\n");

    private final Machine machine;
    private final FirmwareDump dump;
    private final DumpTree tree;
    private final VirtualFile file;

    ReleaseRegionTest() throws DumpException {
        machine = PowerMachines.machine(CaptureEnvironments.PPC64_PHYP, 3);
        dump = machine.firmwareDump();
        tree = CaptureEnvironment.of(machine);
        file = tree.file(DumpPaths.RELEASE_REGION);
    }

    private static String read(VirtualFile f) throws DumpException {
        VirtualFile open = f.open();
        ByteBuffer b = ByteBuffer.allocate(4096);
        int n = open.read(0, b);
        assertEquals(open.size(), n);
        return new String(b.array(), 0, n, StandardCharsets.US_ASCII);
    }

    private void write(String text) throws DumpException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        assertEquals(bytes.length, file.open().write(0, ByteBuffer.wrap(bytes)));
    }

    private static List<MemoryRange> pairs(String line) {
        Matcher m = LINE.matcher(line);
        assertTrue(m.matches(), line);
        List<MemoryRange> out = new ArrayList<>();
        for (int i = 1; i <= 8; i += 2) {
            out.add(new MemoryRange(Long.parseLong(m.group(i), 16), Long.parseLong(m.group(i + 1), 16)));
        }
        return out;
    }

    @Test
    void showsTheKernelsLineBeforeAnyRelease() throws DumpException {
        assertEquals("CPU:0x2ffe0000-0x10000: HPTE:0x2fff0000-0x10000: DUMP:0x30000000-0x10000000, "
                + "0x10000000-0x1ffe0000:\n", read(file));
        assertEquals(0600, file.mode());
        assertTrue(file.changes());
    }

    @Test
    void anyReadOfTheLineIsTheSameSliceOfIt() throws DumpException {
        String line = read(file);
        byte[] all = line.getBytes(StandardCharsets.US_ASCII);
        VirtualFile open = file.open();
        for (int length : new int[] {1, 2, 8, 128, 4096, 8192}) {
            for (int offset = 0; offset <= all.length + 1; offset++) {
                ByteBuffer b = ByteBuffer.allocate(length);
                int n = open.read(offset, b);
                int want = Math.max(0, Math.min(length, all.length - offset));
                assertEquals(want, n, offset + "+" + length);
                for (int i = 0; i < n; i++) {
                    assertEquals(all[offset + i], b.get(i));
                }
            }
        }
    }

    /** What a tool does: read the line, release a piece of the first non-empty pair, until every pair is empty. */
    @Test
    void releasingWhatTheLinePrintsPieceByPieceEndsTheDump() throws DumpException {
        long piece = 0x3000000;
        int steps = 0;
        long releasedTotal = 0;
        while (true) {
            List<MemoryRange> now = pairs(read(file));
            MemoryRange next = now.stream().filter(r -> r.size() > 0).findFirst().orElse(null);
            if (next == null) {
                break;
            }
            assertNotNull(tree.file(DumpPaths.VMCORE), "vmcore stays while memory is reserved");
            long n = Math.min(piece, next.size());
            write(String.format("0x%x 0x%x\n", next.start(), n));
            releasedTotal += n;
            List<MemoryRange> after = pairs(read(file));
            int i = now.indexOf(next);
            MemoryRange expected = n == next.size() ? new MemoryRange(0, 0)
                    : new MemoryRange(next.start() + n, next.size() - n);
            assertEquals(expected, after.get(i), "pair " + i + " after releasing " + n);
            steps++;
        }
        assertEquals(0x40000000L - 0x10000000L, releasedTotal);
        assertEquals(1 + 1 + 6 + 11, steps);
        assertFalse(dump.dumpActive());
        assertTrue(dump.registered());
        assertNull(tree.file(DumpPaths.VMCORE), "the invalidated dump's vmcore is gone");
        List<EventLog.Event> events = machine.events().events();
        assertEquals(steps, events.stream().filter(e -> e.kind().equals("release")
                && e.detail().startsWith("[0x")).count());
        assertEquals(List.of("invalidate", "register"),
                events.subList(events.size() - 2, events.size()).stream().map(EventLog.Event::kind).toList());
    }

    /** What save does, with the formats' own text classes: parse the line, render a request, until all is free. */
    @Test
    void theLineParsesAsShownAndRenderedRequestsReleaseWhatItNames() throws DumpException {
        int steps = 0;
        while (true) {
            String line = read(file);
            ReleaseRegionText shown = ReleaseRegionText.parse(line);
            List<MemoryRange> now = List.of(shown.cpu(), shown.hpte(), shown.savedLowMemory(), shown.reserved());
            assertEquals(pairs(line), now);
            assertEquals(line, shown.render());
            MemoryRange next = now.stream().filter(r -> r.size() > 0).findFirst().orElse(null);
            if (next == null) {
                break;
            }
            write(ReleaseRequest.of(next).render());
            steps++;
        }
        assertEquals(4, steps);
        assertFalse(dump.dumpActive());
    }

    @Test
    void writesThatAreNotTwoNumbersAreEinvalAndChangeNothing() throws DumpException {
        write("0x20000000 0x10000\n");
        String before = read(file);
        int eventsBefore = machine.events().events().size();
        for (String bad : List.of("hello\n", "0x10000000\n", "\n", "-1 0x10000\n", "0x10000000,0x10000\n")) {
            DumpException x = assertThrows(DumpException.class, () -> write(bad), bad);
            assertEquals(Errno.EINVAL, x.errno(), bad);
            assertEquals(before, read(file), bad);
        }
        assertEquals(eventsBefore, machine.events().events().size());
        assertEquals(List.of(new MemoryRange(0x20000000L, 0x10000)), dump.reservations().released());
    }

    /**
     * What the kernel silently corrects (reserved memory here: [0x10000000, 0x40000000), 64 KiB pages), and
     * what it then releases: (input, released ranges afterwards).
     */
    private static final Map<String, List<MemoryRange>> NONSENSE = Map.of(
            "0x10000100 0x10000\n", List.of(new MemoryRange(0x10000000L, 0x10000)),
            "0x10000000 0x100\n", List.of(),
            "0x3fff0000 0x20000\n", List.of(new MemoryRange(0x3fff0000L, 0x10000)),
            "0x40000000 0x10000\n", List.of(),
            "0x0 0x10000\n", List.of(new MemoryRange(0x10000000L, 0x10000)),
            "0x10000000 0x0\n", List.of(),
            "0x1ffffffffffffffff 0x10000\n", List.of(),
            "0x10000000 0x10000 and more\n", List.of(new MemoryRange(0x10000000L, 0x10000)));

    @Test
    void byDefaultWhatTheKernelCorrectsIsAcceptedAsItDoesWithAWarningCounted() throws DumpException {
        for (Map.Entry<String, List<MemoryRange>> e : NONSENSE.entrySet()) {
            Machine m = PowerMachines.machine(CaptureEnvironments.PPC64_PHYP, 3);
            VirtualFile f = CaptureEnvironment.of(m).file(DumpPaths.RELEASE_REGION);
            byte[] bytes = e.getKey().getBytes(StandardCharsets.US_ASCII);
            assertEquals(bytes.length, f.open().write(0, ByteBuffer.wrap(bytes)), e.getKey());
            assertEquals(e.getValue(), m.firmwareDump().reservations().released(), e.getKey());
            assertEquals(1, m.events().events().stream().filter(ev -> ev.kind().equals(KernelLeniency.EVENT)).count(),
                    e.getKey());
        }
    }

    @Test
    void underStrictWhatTheKernelCorrectsIsEinvalAndChangesNothing() throws DumpException {
        Machine m = PowerMachines.machine(CaptureEnvironments.PPC64_PHYP, 3);
        VirtualFile f = CaptureEnvironment.of(m, true).file(DumpPaths.RELEASE_REGION);
        String before = read(f);
        for (String bad : NONSENSE.keySet()) {
            byte[] bytes = bad.getBytes(StandardCharsets.US_ASCII);
            DumpException x = assertThrows(DumpException.class, () -> f.open().write(0, ByteBuffer.wrap(bytes)), bad);
            assertEquals(Errno.EINVAL, x.errno(), bad);
            assertTrue(x.getMessage().contains("--strict"), x.getMessage());
            assertEquals(before, read(f), bad);
        }
        assertTrue(m.firmwareDump().reservations().released().isEmpty());
        assertTrue(m.events().events().isEmpty(), m.events().events().toString());
        byte[] good = "0x10000000 0x10000\n".getBytes(StandardCharsets.US_ASCII);
        assertEquals(good.length, f.open().write(0, ByteBuffer.wrap(good)), "a clean request still works");
    }

    @Test
    void repeatedReleasesAreHarmless() throws DumpException {
        write("0x10000000 0x20000\n");
        String once = read(file);
        write("0x10000000 0x20000\n");
        write("0x10010000 0x10000\n");
        assertEquals(once, read(file));
        assertEquals("CPU:0x2ffe0000-0x10000: HPTE:0x2fff0000-0x10000: DUMP:0x30000000-0x10000000, "
                + "0x10020000-0x1ffc0000:\n", once);
    }
}
