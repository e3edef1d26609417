package vendor.ccw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A subchannel of the simulated channel subsystem, as the machine operator sees it: its
 * installed channel paths (eight at most, path i on CHPID i) and which of them are online. Varying
 * a path (what {@code chchp -v} does) changes the subchannel's operational path mask and queues
 * a channel-path CRW for the vfio-ccw device on it, as vfio_ccw_chp_event does.
 */
@ProviderType
public interface CcwSubchannel {
    /** cssid.ssid.schno, e.g. {@code 0.0.0100}: the mdev parent's name. */
    String schid();

    /** PIM: the installed paths, bit 0x80 for path 0. */
    int installedPaths();

    /** POM: the installed paths that are online. */
    int operationalPaths();

    /**
     * Takes path {@code path} (0..7) online or offline: EINVAL for a path not installed; no
     * change and no CRW when it already is in that state.
     */
    void vary(int path, boolean online);
}
