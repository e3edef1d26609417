package mdev.shell.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vendor.ccw.Ccw;
import vendor.ccw.CcwSubchannel;
import vfio.core.EventFd;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioRegions;

/**
 * {@code ccw:*}: the guest's side of vfio-ccw. CCWs and IDAWs are written into VM memory
 * (big-endian, as on s390); ssch, hsch and csch go through the device's I/O and async command
 * regions as QEMU does it; {@code irb} waits for the I/O interrupt and shows the IRB.
 */
@Component(service = CcwCommands.class, property = {
        "osgi.command.scope=ccw",
        "osgi.command.function=ccw",
        "osgi.command.function=idal",
        "osgi.command.function=ssch",
        "osgi.command.function=hsch",
        "osgi.command.function=csch",
        "osgi.command.function=irb",
        "osgi.command.function=vary",
        "osgi.command.function=schib",
        "osgi.command.function=crw" })
public final class CcwCommands {
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<CcwSubchannel> subchannels;

    /** vfio-ccw's device-specific regions follow the I/O region: async command, SCHIB, CRW. */
    static final int ASYNC_REGION = 1;
    static final int SCHIB_REGION = 2;
    static final int CRW_REGION = 3;
    private static final Map<String, Integer> COMMANDS = Map.of("write", Ccw.CMD_WRITE, "read", Ccw.CMD_READ,
            "nop", Ccw.CMD_NOP, "sense", Ccw.CMD_SENSE, "seek", Ccw.CMD_SEEK, "tic", Ccw.CMD_TIC,
            "senseid", Ccw.CMD_SENSE_ID);
    private static final Map<String, Integer> FLAGS = Map.of("cd", Ccw.CCW_FLAG_CD, "cc", Ccw.CCW_FLAG_CC,
            "sli", Ccw.CCW_FLAG_SLI, "skip", Ccw.CCW_FLAG_SKIP, "pci", Ccw.CCW_FLAG_PCI, "ida", Ccw.CCW_FLAG_IDA,
            "s", Ccw.CCW_FLAG_SUSPEND);

    @Descriptor("write a format-1 CCW into VM memory")
    public void ccw(CommandSession session, @Descriptor("VM name") String vm,
            @Descriptor("virtual address of the CCW") String vaddr,
            @Descriptor("command: read, write, seek, nop, sense, senseid, tic or a number") String command,
            @Descriptor("flags: cc,cd,sli,skip,ida,pci,s joined by commas, '-' for none, or a number") String flags,
            @Descriptor("count in bytes") String count, @Descriptor("data address (guest address, IOVA)") String cda) {
        Integer cmd = COMMANDS.get(command.toLowerCase(Locale.ROOT));
        long cmdValue = cmd != null ? cmd : Args.number(command, "command");
        long countValue = Args.unsigned(count, "count");
        long cdaValue = Args.unsigned(cda, "cda");
        if (cmdValue < 0 || cmdValue > 0xff || countValue < 0 || countValue > 0xffff || cdaValue < 0
                || cdaValue > 0xffff_ffffL) {
            throw new ErrnoException(Errno.EINVAL, "CCW " + command + " " + count + " " + cda
                    + ": command is one byte, count 16 bits, data address 32 bits");
        }
        ByteBuffer ccw = ByteBuffer.allocate(Ccw.Ccw1.SIZE);
        new Ccw.Ccw1((int) cmdValue, flags(flags), (int) countValue, (int) cdaValue).encode(ccw);
        ShellSession.of(session).vm(vm).write(Args.unsigned(vaddr, "vaddr"), ccw);
    }

    private static int flags(String text) {
        if (text.equals("-")) {
            return 0;
        }
        if (Character.isDigit(text.charAt(0))) {
            long value = Args.number(text, "flags");
            if (value < 0 || value > 0xff) {
                throw new ErrnoException(Errno.EINVAL, "flags " + text + " are one byte");
            }
            return (int) value;
        }
        int flags = 0;
        for (String name : text.toLowerCase(Locale.ROOT).split(",")) {
            Integer flag = FLAGS.get(name);
            if (flag == null) {
                throw new ErrnoException(Errno.EINVAL, "no CCW flag '" + name + "' (cc, cd, sli, skip, ida, pci, s)");
            }
            flags |= flag;
        }
        return flags;
    }

    @Descriptor("write 64-bit big-endian words into VM memory: IDAWs, or a SEEK's byte offset")
    public void idal(CommandSession session, @Descriptor("VM name") String vm,
            @Descriptor("virtual address") String vaddr, @Descriptor("the words") String... words) {
        ByteBuffer list = ByteBuffer.allocate(8 * words.length).order(ByteOrder.BIG_ENDIAN);
        for (String word : words) {
            list.putLong(Args.number(word, "word"));
        }
        ShellSession.of(session).vm(vm).write(Args.unsigned(vaddr, "vaddr"), list.flip());
    }

    @Descriptor("start subchannel: an ORB with the program address and the start function, in one I/O region write")
    public void ssch(CommandSession session, @Descriptor("device UUID") String uuid,
            @Descriptor("channel program address (IOVA)") String cpa) {
        long address = Args.unsigned(cpa, "cpa");
        if (address < 0 || address > 0x7fff_ffffL) {
            throw new ErrnoException(Errno.EINVAL, "channel program address " + cpa + " is not 31-bit");
        }
        ByteBuffer region = ByteBuffer.allocate(Ccw.IO_REGION_SIZE);
        new Ccw.Orb(0, 0, true, true, true, false, 0xff, false, false, false, (int) address)
                .encode(region.slice(Ccw.IO_ORB, 12));
        new Ccw.Scsw(Ccw.SCSW_FCTL_START_FUNC, 0, 0, 0, 0, 0, 0).encode(region.slice(Ccw.IO_SCSW, 12));
        ShellSession.of(session).device(uuid).write(region, VfioRegions.position(Ccw.VFIO_CCW_CONFIG_REGION_INDEX, 0));
    }

    @Descriptor("halt subchannel through the async command region")
    public void hsch(CommandSession session, @Descriptor("device UUID") String uuid) {
        async(session, uuid, Ccw.VFIO_CCW_ASYNC_CMD_HSCH);
    }

    @Descriptor("clear subchannel through the async command region")
    public void csch(CommandSession session, @Descriptor("device UUID") String uuid) {
        async(session, uuid, Ccw.VFIO_CCW_ASYNC_CMD_CSCH);
    }

    private static void async(CommandSession session, String uuid, int command) {
        ByteBuffer region = ByteBuffer.allocate(Ccw.CMD_REGION_SIZE).order(ByteOrder.BIG_ENDIAN).putInt(0, command);
        ShellSession.of(session).device(uuid).write(region, VfioRegions.position(ASYNC_REGION, 0));
    }

    @Descriptor("wait for the I/O interrupt (when vfio:irq gave it an eventfd), then show the IRB's SCSW")
    public void irb(CommandSession session, @Descriptor("device UUID") String uuid) throws InterruptedException {
        ShellSession s = ShellSession.of(session);
        VfioDeviceFile file = s.device(uuid);
        EventFd io = s.eventFds.get(file.device().uuid() + "/" + Ccw.VFIO_CCW_IO_IRQ_INDEX);
        if (io != null) {
            if (!io.await(10, TimeUnit.SECONDS)) {
                throw new ErrnoException(Errno.EAGAIN, "no I/O interrupt from " + uuid + " within 10 s");
            }
            io.read();
        }
        ByteBuffer irb = ByteBuffer.allocate(12);
        file.read(irb, VfioRegions.position(Ccw.VFIO_CCW_CONFIG_REGION_INDEX, Ccw.IO_IRB));
        Ccw.Scsw scsw = Ccw.Scsw.decode(irb.flip());
        System.out.printf("fctl %s stctl 0x%x cpa 0x%x dstat 0x%02x%s cstat 0x%02x%s residual %d%n", function(scsw.fctl()),
                scsw.stctl(), scsw.cpa(), scsw.dstat(), deviceStatus(scsw.dstat()), scsw.cstat(),
                channelStatus(scsw.cstat()), scsw.count());
    }

    @Descriptor("take a channel path of a subchannel online or offline (chchp -v); the mdev gets a CRW")
    public void vary(@Descriptor("subchannel id, e.g. 0.0.0100") String schid,
            @Descriptor("path 0..7 (CHPID = path)") String path, @Descriptor("on or off") String state) {
        if (!state.equals("on") && !state.equals("off")) {
            throw new ErrnoException(Errno.EINVAL, "path state '" + state + "' is neither on nor off");
        }
        CcwSubchannel subchannel = subchannels.stream().filter(c -> c.schid().equals(schid)).findFirst()
                .orElseThrow(() -> new ErrnoException(Errno.ENODEV, "no subchannel " + schid));
        subchannel.vary(Args.intIn(path, "path", 0, 7), state.equals("on"));
        System.out.printf("%s: pim 0x%02x pom 0x%02x%n", schid, subchannel.installedPaths(),
                subchannel.operationalPaths());
    }

    @Descriptor("read the SCHIB region (stsch): enablement, device number, path masks, CHPIDs")
    public void schib(CommandSession session, @Descriptor("device UUID") String uuid) {
        ByteBuffer b = ByteBuffer.allocate(Ccw.SCHIB_REGION_SIZE);
        ShellSession.of(session).device(uuid).read(b, VfioRegions.position(SCHIB_REGION, 0));
        int word1 = b.getInt(4);
        System.out.printf("devno 0x%04x%s lpm 0x%02x pim 0x%02x pam 0x%02x pom 0x%02x chpids %s%n", word1 & 0xffff,
                (word1 & 1 << 23) != 0 ? " enabled" : "", b.get(8) & 0xff, b.get(11) & 0xff, b.get(15) & 0xff,
                b.get(14) & 0xff, Args.hex(java.util.Arrays.copyOfRange(b.array(), 16, 24)));
    }

    @Descriptor("read one channel report word from the CRW region (0 when none is queued)")
    public void crw(CommandSession session, @Descriptor("device UUID") String uuid) {
        ByteBuffer b = ByteBuffer.allocate(Ccw.CRW_REGION_SIZE);
        ShellSession.of(session).device(uuid).read(b, VfioRegions.position(CRW_REGION, 0));
        int word = b.getInt(0);
        System.out.printf("crw 0x%08x rsc %d erc %d rsid %d%n", word, (word >>> 24) & 0xf, (word >>> 16) & 0x3f,
                word & 0xffff);
    }

    private static String function(int fctl) {
        String names = Args.bitNames(fctl, ",", new int[] { Ccw.SCSW_FCTL_START_FUNC, Ccw.SCSW_FCTL_HALT_FUNC,
            Ccw.SCSW_FCTL_CLEAR_FUNC }, "start", "halt", "clear");
        return names.isEmpty() ? "none" : names;
    }

    private static String deviceStatus(int dstat) {
        return parenthesised(Args.bitNames(dstat, " ", new int[] { Ccw.DEV_STAT_CHN_END, Ccw.DEV_STAT_DEV_END,
            Ccw.DEV_STAT_UNIT_CHECK }, "channel-end", "device-end", "unit-check"));
    }

    private static String channelStatus(int cstat) {
        return parenthesised(Args.bitNames(cstat, " ", new int[] { Ccw.SCHN_STAT_INCORR_LEN, Ccw.SCHN_STAT_PROG_CHECK,
            Ccw.SCHN_STAT_PROT_CHECK }, "incorrect-length", "program-check", "protection-check"));
    }

    private static String parenthesised(String names) {
        return names.isEmpty() ? "" : " (" + names + ")";
    }
}
