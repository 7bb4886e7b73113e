package org.vmcorefs.fs.map;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Draws a mount's read map ({@code .vmcorefs/read-map.json}) as a picture of the physical address space: RAM
 * and holes, the crashkernel region or boot memory, the saved area, one row per file shaded by how much of
 * each column its reads touched, the saved-area blocks fetched, what was released, and a legend with the
 * byte counts. One drawing, two outputs: SVG text, or PNG through a headless {@link BufferedImage}.
 */
public final class MapPicture {
    static final int WIDTH = 1100;
    private static final int LEFT = 240;
    private static final int RIGHT = 30;
    private static final int BAR = WIDTH - LEFT - RIGHT;
    private static final int ROW = 30;
    private static final int ROW_HEIGHT = 22;

    static final Color HOLE = new Color(0xe6e6e6);
    static final Color RAM = new Color(0xc6dbef);
    static final Color CRASHKERNEL = new Color(0xfd8d3c);
    static final Color BOOT = new Color(0x9e9ac8);
    static final Color SAVED = new Color(0x08519c);
    static final Color TOUCHED = new Color(0x238b45);
    static final Color RELEASED = new Color(0xcb181d);
    static final Color TEXT = new Color(0x222222);

    /** What to draw on: SVG or a raster image. */
    interface Canvas {
        void rect(double x, double y, double w, double h, Color c, double alpha);

        void outline(double x, double y, double w, double h, Color c);

        void text(double x, double y, String s, int size, boolean bold, boolean right);
    }

    private final JsonNode map;
    private final long scale;

    public MapPicture(JsonNode map) {
        this.map = map;
        long end = map.path("endOfRam").asLong();
        JsonNode area = map.path("savedArea");
        if (!area.isMissingNode()) {
            end = Math.max(end, area.path("start").asLong() + area.path("size").asLong());
        }
        this.scale = Math.max(end, 1);
    }

    /** The picture's height: where the drawing ends, found by drawing on nothing. */
    int height() {
        return draw(new Canvas() {
            @Override
            public void rect(double x, double y, double w, double h, Color c, double alpha) {
            }

            @Override
            public void outline(double x, double y, double w, double h, Color c) {
            }

            @Override
            public void text(double x, double y, String s, int size, boolean bold, boolean right) {
            }
        }) + 14;
    }

    private double x(long address) {
        return LEFT + (double) BAR * address / scale;
    }

    private double w(long size) {
        return Math.max(1.0, (double) BAR * size / scale);
    }

    /** Draws the picture; returns the lowest y drawn at. */
    int draw(Canvas c) {
        c.text(LEFT, 24, "What the reads touched of physical memory: " + map.path("profile").asText(), 15, true,
                false);
        c.text(LEFT, 42, map.path("origin").asText(), 11, false, false);
        int y = 58;
        // The address space.
        c.text(LEFT - 10, y + 15, "physical memory", 12, true, true);
        c.rect(LEFT, y, BAR, ROW_HEIGHT, HOLE, 1);
        for (JsonNode r : map.path("ram")) {
            c.rect(x(r.get(0).asLong()), y, w(r.get(1).asLong()), ROW_HEIGHT, RAM, 1);
        }
        JsonNode ck = map.path("captureKernel");
        if (ck.isArray()) {
            c.rect(x(ck.get(0).asLong()), y, w(ck.get(1).asLong()), ROW_HEIGHT, CRASHKERNEL, 1);
        }
        JsonNode boot = map.path("bootMemory");
        if (boot.isArray()) {
            c.rect(x(boot.get(0).asLong()), y, w(boot.get(1).asLong()), ROW_HEIGHT, BOOT, 1);
        }
        JsonNode area = map.path("savedArea");
        if (!area.isMissingNode()) {
            c.rect(x(area.path("start").asLong()), y + ROW_HEIGHT - 6, w(area.path("size").asLong()), 6, SAVED, 1);
        }
        y += ROW;
        // One row per file.
        for (Iterator<Map.Entry<String, JsonNode>> it = map.path("files").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            c.text(LEFT - 10, y + 15, f.getKey(), 12, false, true);
            background(c, y);
            shade(c, y, f.getValue().path("ranges"), TOUCHED);
            y += ROW;
        }
        if (!area.isMissingNode()) {
            c.text(LEFT - 10, y + 15, "saved area fetched", 12, false, true);
            background(c, y);
            c.outline(x(area.path("start").asLong()), y, w(area.path("size").asLong()), ROW_HEIGHT, SAVED);
            shade(c, y, area.path("fetched"), SAVED);
            y += ROW;
        }
        c.text(LEFT - 10, y + 15, "released", 12, false, true);
        background(c, y);
        for (JsonNode r : map.path("released")) {
            c.rect(x(r.get(0).asLong()), y, w(r.get(1).asLong()), ROW_HEIGHT, RELEASED, 1);
        }
        y += ROW;
        // The axis.
        long step = Long.highestOneBit(Math.max(scale / 8, 1));
        for (long a = 0; a <= scale; a += step) {
            c.rect(x(a), y - 4, 1, 6, TEXT, 1);
            c.text(x(a) + (a == 0 ? 0 : -2), y + 14, size(a), 10, false, a != 0);
            if (a > Long.MAX_VALUE - step) {
                break;
            }
        }
        y += 36;
        // The legend, with the byte counts.
        long ram = 0;
        for (JsonNode r : map.path("ram")) {
            ram += r.get(1).asLong();
        }
        legend(c, y, RAM, String.format("RAM: %s in %d range(s), up to %s", size(ram), map.path("ram").size(),
                hex(map.path("endOfRam").asLong())));
        y += 20;
        legend(c, y, HOLE, "holes (no memory): " + size(scale - ram));
        y += 20;
        if (ck.isArray()) {
            legend(c, y, CRASHKERNEL, "the capture kernel's region (crashkernel=, or the dump kernel's low memory): " + size(ck.get(1).asLong()) + " at "
                    + hex(ck.get(0).asLong()));
            y += 20;
        }
        if (boot.isArray()) {
            legend(c, y, BOOT, "boot memory (the running kernel's, copied by the hypervisor): "
                    + size(boot.get(1).asLong()) + " at " + hex(boot.get(0).asLong()));
            y += 20;
        }
        if (!area.isMissingNode()) {
            legend(c, y, SAVED, String.format("saved area (%s): %s at %s in blocks of %s; fetched %s%s",
                    area.path("name").asText(), size(area.path("size").asLong()), hex(area.path("start").asLong()),
                    size(area.path("blockSize").asLong()), size(area.path("fetchedBytes").asLong()),
                    area.path("released").asBoolean() ? "; released" : ""));
            y += 20;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = map.path("files").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            legend(c, y, TOUCHED, String.format("%s: %s read, touching %s of memory", f.getKey(),
                    size(f.getValue().path("bytesRead").asLong()), size(f.getValue().path("touchedBytes").asLong())));
            y += 20;
        }
        long released = 0;
        for (JsonNode r : map.path("released")) {
            released += r.get(1).asLong();
        }
        legend(c, y, RELEASED, "released: " + size(released) + " in " + map.path("released").size() + " range(s)");
        return y;
    }

    private void background(Canvas c, int y) {
        c.rect(LEFT, y, BAR, ROW_HEIGHT, new Color(0xf5f5f5), 1);
        for (JsonNode r : map.path("ram")) {
            c.rect(x(r.get(0).asLong()), y, w(r.get(1).asLong()), ROW_HEIGHT, RAM, 0.35);
        }
    }

    /** Shades each column by the fraction of its addresses that {@code ranges} ([start, size, touched]) touched. */
    private void shade(Canvas c, int y, JsonNode ranges, Color color) {
        double[] touched = new double[BAR];
        double perColumn = (double) scale / BAR;
        for (JsonNode r : ranges) {
            long start = r.get(0).asLong();
            long size = r.get(1).asLong();
            double density = r.get(2).asDouble() / size;
            int first = (int) Math.min(BAR - 1, start / perColumn);
            int last = (int) Math.min(BAR - 1, (start + size - 1) / perColumn);
            for (int i = first; i <= last; i++) {
                double lo = Math.max(start, i * perColumn);
                double hi = Math.min(start + size, (i + 1) * perColumn);
                touched[i] += Math.max(0, hi - lo) * density;
            }
        }
        int i = 0;
        while (i < BAR) {
            int level = level(touched[i] / perColumn);
            int j = i + 1;
            while (j < BAR && level(touched[j] / perColumn) == level) {
                j++;
            }
            if (level > 0) {
                c.rect(LEFT + i, y, j - i, ROW_HEIGHT, color, level / 10.0);
            }
            i = j;
        }
    }

    /** 0 for nothing touched, else 3 to 10 (tenths of opacity): a column touched at all stays visible. */
    private static int level(double fraction) {
        if (fraction <= 0) {
            return 0;
        }
        return (int) Math.max(3, Math.min(10, Math.round(fraction * 10)));
    }

    private static void legend(Canvas c, int y, Color color, String text) {
        c.rect(LEFT, y - 11, 14, 14, color, 1);
        c.text(LEFT + 22, y, text, 12, false, false);
    }

    static String size(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : (v == Math.rint(v) ? String.format(Locale.ROOT, "%d %s", (long) v, units[u])
                : String.format(Locale.ROOT, "%.1f %s", v, units[u]));
    }

    private static String hex(long a) {
        return "0x" + Long.toHexString(a);
    }

    /** The picture as an SVG document. */
    String svg() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Verdana, sans-serif\">%n", WIDTH, height(),
                WIDTH, height()));
        b.append(String.format("<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, height()));
        draw(new Canvas() {
            @Override
            public void rect(double x, double y, double w, double h, Color c, double alpha) {
                b.append(String.format(Locale.ROOT, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                        + "fill=\"%s\"%s/>%n", x, y, w, h, rgb(c), alpha < 1 ? String.format(Locale.ROOT,
                        " fill-opacity=\"%.2f\"", alpha) : ""));
            }

            @Override
            public void outline(double x, double y, double w, double h, Color c) {
                b.append(String.format(Locale.ROOT, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                        + "fill=\"none\" stroke=\"%s\"/>%n", x, y, w, h, rgb(c)));
            }

            @Override
            public void text(double x, double y, String s, int size, boolean bold, boolean right) {
                b.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%d\" fill=\"%s\"%s%s>%s"
                        + "</text>%n", x, y, size, rgb(TEXT), bold ? " font-weight=\"bold\"" : "",
                        right ? " text-anchor=\"end\"" : "", escape(s)));
            }
        });
        return b.append("</svg>\n").toString();
    }

    /** The picture as an image (draw it headless: {@code java.awt.headless=true}). */
    BufferedImage image() {
        BufferedImage img = new BufferedImage(WIDTH, height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, height());
        draw(new Canvas() {
            @Override
            public void rect(double x, double y, double w, double h, Color c, double alpha) {
                g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), (int) Math.round(alpha * 255)));
                g.fill(new java.awt.geom.Rectangle2D.Double(x, y, w, h));
            }

            @Override
            public void outline(double x, double y, double w, double h, Color c) {
                g.setColor(c);
                g.setStroke(new BasicStroke(1));
                g.draw(new java.awt.geom.Rectangle2D.Double(x, y, w, h));
            }

            @Override
            public void text(double x, double y, String s, int size, boolean bold, boolean right) {
                g.setColor(TEXT);
                g.setFont(new Font("DejaVu Sans", bold ? Font.BOLD : Font.PLAIN, size));
                double at = right ? x - g.getFontMetrics().stringWidth(s) : x;
                g.drawString(s, (float) at, (float) y);
            }
        });
        g.dispose();
        return img;
    }

    /** Writes the picture to {@code out}: PNG if its name ends in .png, else SVG. */
    public void write(Path out) throws IOException {
        if (out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            System.setProperty("java.awt.headless", "true");
            if (!javax.imageio.ImageIO.write(image(), "png", out.toFile())) {
                throw new IOException("no PNG writer in this JDK");
            }
        } else {
            Files.writeString(out, svg(), StandardCharsets.UTF_8);
        }
    }

    private static String rgb(Color c) {
        return String.format("#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

}
