package vendor.ap.internal;

import java.util.BitSet;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * The simulated AP bus as the host sees it: ap_config_info (APXA, Na, Nd), the installed
 * adapters and domains, and the host masks apmask/aqmask. As ap_owned_by_def_drv decides, a
 * queue (APQN) belongs to the host's default drivers when its adapter is set in apmask and its
 * domain in aqmask; every other installed queue is available to vfio_ap.
 */
record ApConfig(boolean apxa, int na, int nd, BitSet adapters, BitSet domains, BitSet apmask, BitSet aqmask) {
    ApConfig {
        if (na < 0 || na > 255 || nd < 0 || nd > 255) {
            throw new ErrnoException(Errno.EINVAL, "Na " + na + " and Nd " + nd + " must be 0..255");
        }
        adapters = (BitSet) adapters.clone();
        domains = (BitSet) domains.clone();
        apmask = (BitSet) apmask.clone();
        aqmask = (BitSet) aqmask.clone();
        // (fields are not assigned yet in a compact constructor: the maxima from the parameters)
        int apmMax = apxa ? na : 63;
        int aqmMax = apxa ? nd : 15;
        if (adapters.length() > apmMax + 1 || domains.length() > aqmMax + 1) {
            throw new ErrnoException(Errno.EINVAL, "installed adapters " + adapters + " or domains " + domains
                    + " past the maximum ids " + apmMax + " and " + aqmMax);
        }
    }

    /** vfio_ap_matrix_init: the largest adapter id (APXA: Na, else 63). */
    int apmMax() {
        return apxa ? na : 63;
    }

    /** The largest usage domain id (APXA: Nd, else 15). */
    int aqmMax() {
        return apxa ? nd : 15;
    }

    /** The largest control domain id, as the usage domains'. */
    int admMax() {
        return aqmMax();
    }

    /** The same bus with other host masks. */
    ApConfig withMasks(BitSet apmask, BitSet aqmask) {
        return new ApConfig(apxa, na, nd, adapters, domains, apmask, aqmask);
    }

    boolean reserved(int apid, int apqi) {
        return adapters.get(apid) && domains.get(apqi) && !(apmask.get(apid) && aqmask.get(apqi));
    }

    /** Whether any queue of the adapter is reserved for vfio_ap. */
    boolean adapterReserved(int apid) {
        for (int apqi = domains.nextSetBit(0); apqi >= 0; apqi = domains.nextSetBit(apqi + 1)) {
            if (reserved(apid, apqi)) {
                return true;
            }
        }
        return false;
    }

    /** Whether any queue of the domain is reserved for vfio_ap. */
    boolean domainReserved(int apqi) {
        for (int apid = adapters.nextSetBit(0); apid >= 0; apid = adapters.nextSetBit(apid + 1)) {
            if (reserved(apid, apqi)) {
                return true;
            }
        }
        return false;
    }
}
