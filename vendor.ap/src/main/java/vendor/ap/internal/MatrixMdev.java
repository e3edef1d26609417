package vendor.ap.internal;

import java.util.BitSet;
import java.util.UUID;

/**
 * One vfio_ap mdev's ap_matrix: adapters (APM), usage domains (AQM), control domains (ADM),
 * and the guest (KVM) it serves while open. Guarded by its {@link ApMatrix}'s lock.
 */
final class MatrixMdev {
    final UUID uuid;
    final BitSet apm = new BitSet();
    final BitSet aqm = new BitSet();
    final BitSet adm = new BitSet();
    /** The guest it serves (matrix_mdev->kvm), null when none. */
    Object guest;

    MatrixMdev(UUID uuid) {
        this.uuid = uuid;
    }
}
