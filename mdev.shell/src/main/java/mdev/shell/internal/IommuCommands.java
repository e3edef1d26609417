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
            System.out.println("pasid " + container.allocPasid((int) Args.number(args[0], "min"),
                    (int) Args.number(args[1], "max")));
        } else if (op.equals("free") && args.length == 1) {
            container.freePasid((int) Args.number(args[0], "pasid"));
        } else {
            throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL,
                    "usage: iommu:pasid <fd> alloc <min> <max> | iommu:pasid <fd> free <pasid>");
        }
    }

    @Descriptor("VFIO_IOMMU_SET_PASID_QUOTA for the container's VM; prints the quota")
    public void quota(CommandSession session, @Descriptor("container fd") String containerFd,
            @Descriptor("new quota") String quota) {
        System.out.println("quota " + ShellSession.of(session).container(containerFd)
                .setPasidQuota((int) Args.number(quota, "quota")));
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
