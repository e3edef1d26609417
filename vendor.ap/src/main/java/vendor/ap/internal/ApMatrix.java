package vendor.ap.internal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.IntConsumer;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * The vfio_ap matrix device (matrix_dev) with its mdevs, and the rules of vfio_ap_ops.c for
 * the attribute stores. {@code lock} is matrix_dev->lock: every store, show, create, remove,
 * open and release holds it, so two mdevs never claim the same APQN even when assigns race.
 * Every store checks before it changes: a failed one leaves the matrix as it was.
 */
final class ApMatrix {
    /** MAX_ZDEV_ENTRIES_EXT: available_instances starts here. */
    static final int MAX_INSTANCES = 256;

    private final Object lock = new Object();
    private final Map<UUID, MatrixMdev> mdevs = new HashMap<>();
    /** Resets per APQN (apid << 16 | apqi): what zapq did to each queue. */
    private final Map<Integer, Integer> queueResets = new HashMap<>();
    private ApConfig config;

    ApMatrix(ApConfig config) {
        this.config = config;
    }

    ApConfig config() {
        synchronized (lock) {
            return config;
        }
    }

    /**
     * apmask_commit/aqmask_commit: the host may take only queues no mdev holds. The ids newly
     * set in either mask, crossed with the other mask, must be in no mdev's matrix (EBUSY).
     */
    void setMasks(BitSet apmask, BitSet aqmask) {
        synchronized (lock) {
            BitSet addedAdapters = (BitSet) apmask.clone();
            addedAdapters.andNot(config.apmask());
            BitSet addedDomains = (BitSet) aqmask.clone();
            addedDomains.andNot(config.aqmask());
            for (MatrixMdev m : mdevs.values()) {
                if (m.apm.intersects(addedAdapters) && m.aqm.intersects(aqmask)
                        || m.apm.intersects(apmask) && m.aqm.intersects(addedDomains)) {
                    throw new ErrnoException(Errno.EBUSY, "mdev " + m.uuid + " holds queues the new masks give the host");
                }
            }
            config = config.withMasks(apmask, aqmask);
        }
    }

    /** A write of apmask ({@code adapters}) or aqmask: parsed against, and committed over, the masks now. */
    void writeMasks(String text, boolean adapters) {
        synchronized (lock) {
            if (adapters) {
                setMasks(ApMask.parse(text, config.apmask()), config.aqmask());
            } else {
                setMasks(config.apmask(), ApMask.parse(text, config.aqmask()));
            }
        }
    }

    long availableInstances() {
        synchronized (lock) {
            return MAX_INSTANCES - mdevs.size();
        }
    }

    /** vfio_ap_mdev_create: EPERM when no instance is left. */
    MatrixMdev create(UUID uuid) {
        synchronized (lock) {
            if (mdevs.size() >= MAX_INSTANCES) {
                throw new ErrnoException(Errno.EPERM, "no vfio_ap instance left for " + uuid + " (" + MAX_INSTANCES
                        + " exist)");
            }
            MatrixMdev m = new MatrixMdev(uuid);
            mdevs.put(uuid, m);
            return m;
        }
    }

    /** vfio_ap_mdev_remove: EBUSY while a guest uses it. */
    void remove(MatrixMdev m) {
        synchronized (lock) {
            if (m.guest != null) {
                throw new ErrnoException(Errno.EBUSY, "mdev " + m.uuid + " is in use by a guest");
            }
            resetQueues(m);
            mdevs.remove(m.uuid);
        }
    }

    /** The parent goes: every mdev is dropped, every APQN freed, whatever the guests. */
    void removeAll() {
        synchronized (lock) {
            for (MatrixMdev m : mdevs.values()) {
                resetQueues(m);
                m.guest = null;
            }
            mdevs.clear();
        }
    }

    // ---- attribute stores --------------------------------------------------------------

    void assignAdapter(MatrixMdev m, String buf) {
        synchronized (lock) {
            int apid = id(m, buf, config.apmMax(), "adapter");
            if (!m.aqm.isEmpty()) {
                for (int apqi = m.aqm.nextSetBit(0); apqi >= 0; apqi = m.aqm.nextSetBit(apqi + 1)) {
                    requireReserved(apid, apqi);
                }
            } else if (!config.adapterReserved(apid)) {
                throw new ErrnoException(Errno.EADDRNOTAVAIL, "adapter " + hex(apid) + " has no queue reserved for vfio_ap");
            }
            requireNoSharing(m, single(apid), m.aqm);
            m.apm.set(apid);
        }
    }

    void assignDomain(MatrixMdev m, String buf) {
        synchronized (lock) {
            int apqi = id(m, buf, config.aqmMax(), "domain");
            if (!m.apm.isEmpty()) {
                for (int apid = m.apm.nextSetBit(0); apid >= 0; apid = m.apm.nextSetBit(apid + 1)) {
                    requireReserved(apid, apqi);
                }
            } else if (!config.domainReserved(apqi)) {
                throw new ErrnoException(Errno.EADDRNOTAVAIL, "domain " + hex(apqi) + " has no queue reserved for vfio_ap");
            }
            requireNoSharing(m, m.apm, single(apqi));
            m.aqm.set(apqi);
        }
    }

    void assignControlDomain(MatrixMdev m, String buf) {
        synchronized (lock) {
            m.adm.set(id(m, buf, config.admMax(), "control domain"));
        }
    }

    void unassignAdapter(MatrixMdev m, String buf) {
        synchronized (lock) {
            m.apm.clear(id(m, buf, config.apmMax(), "adapter"));
        }
    }

    void unassignDomain(MatrixMdev m, String buf) {
        synchronized (lock) {
            m.aqm.clear(id(m, buf, config.aqmMax(), "domain"));
        }
    }

    void unassignControlDomain(MatrixMdev m, String buf) {
        synchronized (lock) {
            m.adm.clear(id(m, buf, config.admMax(), "control domain"));
        }
    }

    /** EBUSY while a guest runs, then kstrtoul's errors, then ENODEV past the maximum id. */
    private static int id(MatrixMdev m, String buf, int max, String what) {
        if (m.guest != null) {
            throw new ErrnoException(Errno.EBUSY, "mdev " + m.uuid + " is in use by a guest: its matrix is fixed");
        }
        long id = Kstrtoul.parse(buf);
        if (Long.compareUnsigned(id, max) > 0) {
            throw new ErrnoException(Errno.ENODEV, what + " " + Long.toUnsignedString(id) + " is past the maximum " + max);
        }
        return (int) id;
    }

    private void requireReserved(int apid, int apqi) {
        if (!config.reserved(apid, apqi)) {
            throw new ErrnoException(Errno.EADDRNOTAVAIL, "queue " + hex(apid) + "." + String.format("%04x", apqi)
                    + " is not reserved for vfio_ap");
        }
    }

    /** vfio_ap_mdev_verify_no_sharing: no other mdev may hold an APQN of apm x aqm. */
    private void requireNoSharing(MatrixMdev m, BitSet apm, BitSet aqm) {
        for (MatrixMdev other : mdevs.values()) {
            if (other == m) {
                continue;
            }
            BitSet adapters = (BitSet) apm.clone();
            adapters.and(other.apm);
            BitSet domains = (BitSet) aqm.clone();
            domains.and(other.aqm);
            if (!adapters.isEmpty() && !domains.isEmpty()) {
                throw new ErrnoException(Errno.EADDRINUSE, "queue " + hex(adapters.nextSetBit(0)) + "."
                        + String.format("%04x", domains.nextSetBit(0)) + " is already in mdev " + other.uuid);
            }
        }
    }

    private static BitSet single(int bit) {
        BitSet b = new BitSet();
        b.set(bit);
        return b;
    }

    private static String hex(int id) {
        return String.format("%02x", id);
    }

    // ---- attribute shows ---------------------------------------------------------------

    /** matrix_show: "aa.dddd" per APQN, "aa." or ".dddd" when only one side is assigned. */
    String matrix(MatrixMdev m) {
        synchronized (lock) {
            StringBuilder out = new StringBuilder();
            if (!m.apm.isEmpty() && !m.aqm.isEmpty()) {
                forEach(m.apm, apid -> forEach(m.aqm, apqi -> out.append(String.format("%02x.%04x%n", apid, apqi))));
            } else if (!m.apm.isEmpty()) {
                forEach(m.apm, apid -> out.append(String.format("%02x.%n", apid)));
            } else {
                forEach(m.aqm, apqi -> out.append(String.format(".%04x%n", apqi)));
            }
            return out.toString();
        }
    }

    /** control_domains_show: "dddd" per control domain. */
    String controlDomains(MatrixMdev m) {
        synchronized (lock) {
            StringBuilder out = new StringBuilder();
            forEach(m.adm, id -> out.append(String.format("%04x%n", id)));
            return out.toString();
        }
    }

    private static void forEach(BitSet bits, IntConsumer action) {
        bits.stream().forEach(action);
    }

    // ---- guests and queues ---------------------------------------------------------------

    /** The KVM association at open: EINVAL without a guest, EPERM if another mdev serves it. */
    void attachGuest(MatrixMdev m, Object guest) {
        synchronized (lock) {
            if (guest == null) {
                throw new ErrnoException(Errno.EINVAL, "mdev " + m.uuid + " opened without a guest (no KVM)");
            }
            for (MatrixMdev other : mdevs.values()) {
                if (other != m && other.guest == guest) {
                    throw new ErrnoException(Errno.EPERM, "the guest already has mdev " + other.uuid);
                }
            }
            m.guest = guest;
        }
    }

    /** Release: the queues are reset and the guest let go. */
    void detachGuest(MatrixMdev m) {
        synchronized (lock) {
            resetQueues(m);
            m.guest = null;
        }
    }

    /** vfio_ap_mdev_reset_queues: zapq on every APQN of the matrix. */
    void resetQueues(MatrixMdev m) {
        synchronized (lock) {
            for (int apid = m.apm.nextSetBit(0); apid >= 0; apid = m.apm.nextSetBit(apid + 1)) {
                for (int apqi = m.aqm.nextSetBit(0); apqi >= 0; apqi = m.aqm.nextSetBit(apqi + 1)) {
                    queueResets.merge(apid << 16 | apqi, 1, Integer::sum);
                }
            }
        }
    }

    int resets(int apid, int apqi) {
        synchronized (lock) {
            return queueResets.getOrDefault(apid << 16 | apqi, 0);
        }
    }

    List<MatrixMdev> mdevs() {
        synchronized (lock) {
            return new ArrayList<>(mdevs.values());
        }
    }
}
