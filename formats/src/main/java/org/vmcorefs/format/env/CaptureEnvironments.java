package org.vmcorefs.format.env;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vmcorefs.format.env.arm64kdump.Arm64Kdump;
import org.vmcorefs.format.env.fadump.Fadump;
import org.vmcorefs.format.env.i386kdump.I386Kdump;
import org.vmcorefs.format.env.kdump.X86Kdump;
import org.vmcorefs.format.env.phyp.PhypDump;
import org.vmcorefs.format.env.ppc64kdump.PowerKdump;
import org.vmcorefs.format.env.zfcpdump.ZfcpDump;
import org.vmcorefs.machine.Architecture;

/** Every capture environment vmcorefs can mount, in the order --help lists them: the one list of profiles. */
public final class CaptureEnvironments {
    public static final CaptureEnvironment X86_64_KDUMP = new X86Kdump();
    public static final CaptureEnvironment PPC64_PHYP = new PhypDump();
    public static final CaptureEnvironment PPC64_FADUMP = new Fadump(Architecture.PPC64);
    public static final CaptureEnvironment PPC64LE_FADUMP = new Fadump(Architecture.PPC64LE);
    public static final CaptureEnvironment S390X_ZFCPDUMP = new ZfcpDump();
    public static final CaptureEnvironment ARM64_KDUMP = new Arm64Kdump();
    public static final CaptureEnvironment PPC64_KDUMP = new PowerKdump(Architecture.PPC64);
    public static final CaptureEnvironment PPC64LE_KDUMP = new PowerKdump(Architecture.PPC64LE);
    public static final CaptureEnvironment I386_KDUMP = new I386Kdump();
    /** The list; the first is the default. */
    public static final List<CaptureEnvironment> ALL = List.of(X86_64_KDUMP, PPC64_PHYP, PPC64_FADUMP,
            PPC64LE_KDUMP, PPC64LE_FADUMP, S390X_ZFCPDUMP, ARM64_KDUMP, PPC64_KDUMP, I386_KDUMP);

    private CaptureEnvironments() {
    }

    /** The environment named {@code id}; IllegalArgumentException naming the known ones if there is none. */
    public static CaptureEnvironment byId(String id) {
        for (CaptureEnvironment e : ALL) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + id + "' (known: " + String.join(", ", ids()) + ")");
    }

    /** The first environment of {@code arch} in the list: the profile an image of that architecture gets. */
    public static CaptureEnvironment forArchitecture(Architecture arch) {
        for (CaptureEnvironment e : ALL) {
            if (e.architecture() == arch) {
                return e;
            }
        }
        throw new IllegalArgumentException("no profile for " + arch.linuxName() + " (known: "
                + String.join(", ", ids()) + ")");
    }

    public static List<String> ids() {
        return ALL.stream().map(CaptureEnvironment::id).toList();
    }

    /** Every environment's own options, once each by name, with the environments that take each. */
    public static Map<EnvironmentOption, List<CaptureEnvironment>> options() {
        Map<EnvironmentOption, List<CaptureEnvironment>> all = new LinkedHashMap<>();
        for (CaptureEnvironment e : ALL) {
            for (EnvironmentOption o : e.options()) {
                all.computeIfAbsent(o, k -> new java.util.ArrayList<>()).add(e);
            }
        }
        all.replaceAll((o, envs) -> List.copyOf(envs));
        return all;
    }
}
