package vendor.ccw.internal;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevTypeSpec;
import vendor.ccw.Ccw;
import vendor.ccw.CcwSubchannel;

/**
 * A subchannel bound to vfio_ccw (vfio_ccw_drv.c's probe): one parent per factory
 * configuration of {@code vendor.ccw.subchannel}, named by its schid, with the single type
 * {@code vfio_ccw-io} of one instance. Its channel programs run on its own thread, one at a
 * time as on a subchannel; deactivation ends the program in flight (its pages unpinned) and
 * removes the mdev.
 */
@Component(service = { MdevParent.class, CcwSubchannel.class }, configurationPid = "vendor.ccw.subchannel",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SubchannelConfig.class, factory = true)
public final class CcwParent implements MdevParent, CcwSubchannel {
    static final String DRIVER = "vfio_ccw";
    static final MdevTypeSpec IO_TYPE = new MdevTypeSpec("io", "I/O subchannel (Non-QDIO)", "", "vfio-ccw");

    private final Subchannel subchannel;
    private final ExecutorService executor;
    private UUID mdevUuid;
    private CcwDevice device;

    @Activate
    public CcwParent(SubchannelConfig config) {
        this(new Subchannel(config.schid(), config.capacity(), config.online(), config.paths(), config.delay_ms()));
    }

    CcwParent(Subchannel subchannel) {
        this.subchannel = subchannel;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "vfio_ccw " + subchannel.schid());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String name() {
        return subchannel.schid();
    }

    @Override
    public String driverName() {
        return DRIVER;
    }

    @Override
    public List<MdevTypeSpec> supportedTypes() {
        return List.of(IO_TYPE);
    }

    /** vfio_ccw_mdev_create takes the subchannel's only instance. */
    @Override
    public synchronized long availableInstances(MdevTypeSpec spec) {
        return device == null ? 1 : 0;
    }

    @Override
    public synchronized void create(MdevTypeSpec spec, MdevDevice mdev) {
        if (!IO_TYPE.name().equals(spec.name())) {
            throw new ErrnoException(Errno.EINVAL, "subchannel " + name() + " has no type " + spec.name());
        }
        if (device != null) {
            throw new ErrnoException(Errno.EPERM, "subchannel " + name() + " already has mdev " + mdevUuid);
        }
        CcwDevice created = new CcwDevice(subchannel, executor);
        mdev.setClassId(MdevClassId.VFIO);
        mdev.setDeviceOps(created);
        device = created;
        mdevUuid = mdev.uuid();
    }

    @Override
    public void remove(MdevDevice mdev) {
        CcwDevice removed;
        synchronized (this) {
            if (device == null || !mdev.uuid().equals(mdevUuid)) {
                throw new ErrnoException(Errno.EINVAL, "subchannel " + name() + " has no mdev " + mdev.uuid());
            }
            removed = device;
            device = null;
            mdevUuid = null;
        }
        removed.markRemoved();
    }

    @Override
    public String schid() {
        return subchannel.schid();
    }

    @Override
    public int installedPaths() {
        return subchannel.installedPaths();
    }

    @Override
    public int operationalPaths() {
        return subchannel.pathMask();
    }

    /** vfio_ccw_chp_event: CHP_ONLINE queues an "initialized" CRW, CHP_OFFLINE a "permanent error". */
    @Override
    public void vary(int path, boolean online) {
        CcwDevice notified;
        synchronized (this) {
            if (!subchannel.vary(path, online)) {
                return;
            }
            notified = device;
        }
        if (notified != null) {
            notified.channelReport(Ccw.crw(Ccw.CRW_RSC_CPATH, online ? Ccw.CRW_ERC_INIT : Ccw.CRW_ERC_PERRN, path));
        }
    }

    synchronized CcwDevice device() {
        return device;
    }

    @Deactivate
    void deactivate() {
        CcwDevice removed;
        synchronized (this) {
            removed = device;
            device = null;
            mdevUuid = null;
        }
        if (removed != null) {
            removed.markRemoved();
        }
        executor.shutdownNow();
    }
}
