package mdev.shell.internal;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import vfio.type1.IommuModel;

/**
 * {@code iommu:*}: PASID requests on a container (seed 002) and what the platform IOMMU
 * model under vfio.type1 holds: mappings, domains, PASIDs.
 */
@Component(service = IommuCommands.class, property = {
        "osgi.command.scope=iommu",
        "osgi.command.function=pasid",
        "osgi.command.function=quota",
        "osgi.command.function=bind",
        "osgi.command.function=unbind",
        "osgi.command.function=invalidate",
        "osgi.command.function=mappings",
        "osgi.command.function=domains",
        "osgi.command.function=pasids",
        "osgi.command.function=binds",
        "osgi.command.function=invalidations" })
public final class IommuCommands {
    private final IommuModel model;

    @Activate
    public IommuCommands(@Reference IommuModel model) {
        this.model = model;
    }

    @Descriptor("VFIO_IOMMU_PASID_REQUEST: 'alloc <min> <max>' prints the PASID, 'free <pasid>'")
    public void pasid(CommandSession session, @Descriptor("container fd") String containerFd,
            @Descriptor("alloc or free") String op, @Descriptor("min and max, or the PASID") String... args) {
        var container = ShellSession.of(session).container(containerFd);
        if (op.equals("alloc") && args.length == 2) {
            System.out.println("pasid " + container.allocPasid(Args.intIn(args[0], "min", 0, Integer.MAX_VALUE),
                    Args.intIn(args[1], "max", 0, Integer.MAX_VALUE)));
        } else if (op.equals("free") && args.length == 1) {
            container.freePasid(Args.intIn(args[0], "pasid", 0, Integer.MAX_VALUE));
        } else {
            throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL,
                    "usage: iommu:pasid <fd> alloc <min> <max> | iommu:pasid <fd> free <pasid>");
        }
    }

    @Descriptor("VFIO_IOMMU_SET_PASID_QUOTA for the container's VM; prints the quota")
    public void quota(CommandSession session, @Descriptor("container fd") String containerFd,
            @Descriptor("new quota") String quota) {
        System.out.println("quota " + ShellSession.of(session).container(containerFd)
                .setPasidQuota(Args.intIn(quota, "quota", 0, Integer.MAX_VALUE)));
    }

    @Descriptor("VFIO_IOMMU_BIND: bind a guest page table (x86-64, VT-d first level) to a PASID the VM owns")
    public void bind(CommandSession session, @Descriptor("container fd") String containerFd,
            @Descriptor("PASID") String pasid, @Descriptor("guest-physical address of the top table") String gpgd,
            @Descriptor("address width, 48 (default) or 57") String... width) {
        if (width.length > 1) {
            throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "usage: iommu:bind <fd> <pasid> <gpgd> [48|57]");
        }
        long p = Args.intIn(pasid, "pasid", 0, (1 << 20) - 1);
        int addrWidth = width.length == 0 ? 48 : Args.intIn(width[0], "address width", 0, Integer.MAX_VALUE);
        ShellSession.of(session).container(containerFd).bindGuestPgtbl(gpasid(p, Args.u64(gpgd, "gpgd"), addrWidth));
        System.out.println("bound pasid " + p);
    }

    /** The guest's PASID is the host's here (the VM allocated it with PASID_REQUEST). */
    private static vfio.core.IommuUapiCodec.GpasidBind gpasid(long pasid, long gpgd, int addrWidth) {
        return new vfio.core.IommuUapiCodec.GpasidBind(vfio.core.Vfio.IOMMU_PASID_FORMAT_INTEL_VTD,
                vfio.core.IommuUapiCodec.IOMMU_SVA_GPASID_VAL, gpgd, pasid, pasid, addrWidth, 0, 0, 0);
    }

    @Descriptor("VFIO_IOMMU_BIND with UNBIND_GUEST_PGTBL: unbind a PASID's guest page table")
    public void unbind(CommandSession session, @Descriptor("container fd") String containerFd,
            @Descriptor("PASID") String pasid) {
        long p = Args.intIn(pasid, "pasid", 0, (1 << 20) - 1);
        ShellSession.of(session).container(containerFd).unbindGuestPgtbl(gpasid(p, 0, 48));
        System.out.println("unbound pasid " + p);
    }

    @Descriptor("VFIO_IOMMU_CACHE_INVALIDATE of the IOTLB: 'domain', 'pasid <pasid>' or 'addr <pasid> <addr> [pages]'")
    public void invalidate(CommandSession session, @Descriptor("container fd") String containerFd,
            @Descriptor("granularity: domain, pasid or addr") String granularity,
            @Descriptor("the PASID, then address and page count for addr") String... args) {
        int iotlb = 1;   // IOMMU_CACHE_INV_TYPE_IOTLB
        vfio.core.IommuUapiCodec.CacheInvalidate info;
        if (granularity.equals("domain") && args.length == 0) {
            info = new vfio.core.IommuUapiCodec.CacheInvalidate(iotlb, vfio.core.IommuUapiCodec.IOMMU_INV_GRANU_DOMAIN,
                    0, 0, 0, 0, 0, 0);
        } else if (granularity.equals("pasid") && args.length == 1) {
            info = new vfio.core.IommuUapiCodec.CacheInvalidate(iotlb, vfio.core.IommuUapiCodec.IOMMU_INV_GRANU_PASID,
                    1, 0, Args.intIn(args[0], "pasid", 0, (1 << 20) - 1), 0, 0, 0);
        } else if (granularity.equals("addr") && (args.length == 2 || args.length == 3)) {
            long pages = args.length == 3 ? Args.unsigned(args[2], "pages") : 1;
            if (pages < 1) {
                throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "pages " + args[2] + " must be at least 1");
            }
            info = new vfio.core.IommuUapiCodec.CacheInvalidate(iotlb, vfio.core.IommuUapiCodec.IOMMU_INV_GRANU_ADDR,
                    1, 0, Args.intIn(args[0], "pasid", 0, (1 << 20) - 1), Args.u64(args[1], "addr"), 4096, pages);
        } else {
            throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "usage: iommu:invalidate <fd> domain"
                    + " | iommu:invalidate <fd> pasid <pasid> | iommu:invalidate <fd> addr <pasid> <addr> [pages]");
        }
        ShellSession.of(session).container(containerFd).cacheInvalidate(info);
    }

    @Descriptor("list the DMA mappings of every type1 container")
    public void mappings() {
        for (IommuModel.Mapping m : model.mappings()) {
            System.out.printf("%s iova 0x%x-0x%x -> vaddr 0x%x %s%s%n", m.vm(), m.iova(), m.iova() + m.size() - 1,
                    m.vaddr(), (m.prot() & 1) != 0 ? "r" : "-", (m.prot() & 2) != 0 ? "w" : "-");
            if (m.pinnedPages() > 0) {
                System.out.println("  " + m.pinnedPages() + " page(s) pinned");
            }
        }
    }

    @Descriptor("list the IOMMU domains and their devices")
    public void domains() {
        for (IommuModel.Domain d : model.domains()) {
            System.out.println("domain " + d.id() + (d.nesting() ? " nesting" : "") + " pasid_format " + d.pasidFormat());
            for (IommuModel.Attachment a : d.devices()) {
                System.out.println("  " + a.physicalDevice() + (a.aux() ? " aux for mdev " + a.mdev() : ""));
            }
        }
    }

    @Descriptor("list the guest page tables bound (VFIO_IOMMU_BIND), per physical device and PASID")
    public void binds() {
        for (IommuModel.GpasidBind b : model.binds()) {
            System.out.printf("pasid %d on %s (domain %d, mdev %s): gpasid %d gpgd 0x%x width %d%n", b.hpasid(),
                    b.physicalDevice(), b.domain(), b.mdev(), b.gpasid(), b.gpgd(), b.addrWidth());
        }
    }

    @Descriptor("list the cache invalidations received (VFIO_IOMMU_CACHE_INVALIDATE)")
    public void invalidations() {
        for (IommuModel.Invalidation i : model.invalidations()) {
            System.out.printf("%s (domain %d): cache 0x%x granularity %d pasid %d addr 0x%x x %d%n", i.physicalDevice(),
                    i.domain(), i.cache(), i.granularity(), i.pasid(), i.addr(), i.nbGranules());
        }
    }

    @Descriptor("list the PASIDs allocated system-wide and the VM owning each")
    public void pasids() {
        for (IommuModel.Pasid p : model.pasids()) {
            System.out.println("pasid " + p.pasid() + " vm " + p.vm());
        }
    }
}
