package org.vmcorefs.fs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.vmcorefs.format.view.BytesFile;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * A report of the mount's own (stats.json, read-map.json): JSON rendered from live counters, 0400, fixed for
 * each open (a reader sees one consistent snapshot) and never cached by the kernel.
 */
public abstract class JsonReportFile implements VirtualFile {
    private final ObjectMapper json;
    private final String what;

    /** @param what the report, for the error message if it cannot be rendered */
    protected JsonReportFile(ObjectMapper json, String what) {
        this.json = json;
        this.what = what;
    }

    /** The report now, as Jackson serializes it. */
    protected abstract Object report();

    private byte[] render() throws DumpException {
        try {
            return (json.writeValueAsString(report()) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new DumpException(Errno.EIO, "cannot render " + what + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long size() {
        try {
            return render().length;
        } catch (DumpException e) {
            return 0;
        }
    }

    @Override
    public int mode() {
        return 0400;
    }

    @Override
    public boolean changes() {
        return true;
    }

    @Override
    public VirtualFile open() throws DumpException {
        return new BytesFile(render(), mode(), true);
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws DumpException {
        return BytesFile.slice(render(), offset, dst);
    }
}
