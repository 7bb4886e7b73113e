package org.vmcorefs.format.view;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * A sysfs attribute: a read shows the attribute's current text, each write is one store of the written bytes,
 * whose count it returns on success. An attribute without show or store refuses that direction with EACCES, as
 * kernfs refuses to open it so.
 */
public class AttributeFile implements VirtualFile {
    /** What a read shows. */
    @FunctionalInterface
    public interface Show {
        String show() throws DumpException;
    }

    /** What a write does with the written text. */
    @FunctionalInterface
    public interface Store {
        void store(String input) throws DumpException;
    }

    private final String name;
    private final int mode;
    private final Show show;
    private final Store store;

    /** @param show null for a write-only attribute; @param store null for a read-only one */
    public AttributeFile(String name, int mode, Show show, Store store) {
        this.name = name;
        this.mode = mode;
        this.show = show;
        this.store = store;
    }

    private byte[] render() throws DumpException {
        if (show == null) {
            throw new DumpException(Errno.EACCES, name + " is write-only");
        }
        return show.show().getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public long size() {
        try {
            return show == null ? 0 : render().length;
        } catch (DumpException e) {
            return 0;
        }
    }

    @Override
    public int mode() {
        return mode;
    }

    @Override
    public boolean changes() {
        return true;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws DumpException {
        return BytesFile.slice(render(), offset, dst);
    }

    @Override
    public int write(long offset, ByteBuffer src) throws DumpException {
        if (store == null) {
            throw new DumpException(Errno.EACCES, name + " is read-only");
        }
        int count = src.remaining();
        byte[] bytes = new byte[count];
        src.get(bytes);
        store.store(new String(bytes, StandardCharsets.ISO_8859_1));
        return count;
    }

    /** One open reads the text shown at open, however it splits its reads (sysfs fills one buffer per open). */
    @Override
    public VirtualFile open() throws DumpException {
        byte[] text = show == null ? new byte[0] : render();
        AttributeFile attribute = this;
        return new BytesFile(text, mode, true) {
            @Override
            public int read(long offset, ByteBuffer dst) throws DumpException {
                if (show == null) {
                    throw new DumpException(Errno.EACCES, name + " is write-only");
                }
                return super.read(offset, dst);
            }

            @Override
            public int write(long offset, ByteBuffer src) throws DumpException {
                return attribute.write(offset, src);
            }
        };
    }
}
