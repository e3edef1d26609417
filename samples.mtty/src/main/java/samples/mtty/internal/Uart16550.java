package samples.mtty.internal;

/**
 * One 16550A UART whose transmitter loops back into its own receiver, as mtty.c models it:
 * bytes written to THR are queued in a 16-byte FIFO and read back from RBR in order. Register
 * bits follow include/uapi/linux/serial_reg.h.
 *
 * <p>Departures from mtty.c, each a defect of the sample: FCR trigger levels are honoured
 * (mtty.c overwrites them with 1), IIR reports only the highest-priority pending interrupt
 * (mtty.c ORs the codes together), LSR.OE is cleared by reading LSR, and the divisor latch
 * bytes replace rather than OR into the divisor.
 *
 * <p>Not thread-safe: the owning device serialises access.
 */
final class Uart16550 {
    static final int FIFO_SIZE = 16;

    /** Register offsets within the 8-byte I/O BAR. */
    static final int UART_RX = 0;
    static final int UART_TX = 0;
    static final int UART_IER = 1;
    static final int UART_IIR = 2;
    static final int UART_FCR = 2;
    static final int UART_LCR = 3;
    static final int UART_MCR = 4;
    static final int UART_LSR = 5;
    static final int UART_MSR = 6;
    static final int UART_SCR = 7;

    static final int UART_IER_RDI = 0x01;
    static final int UART_IER_THRI = 0x02;
    static final int UART_IER_RLSI = 0x04;
    static final int UART_IER_MSI = 0x08;

    static final int UART_IIR_NO_INT = 0x01;
    static final int UART_IIR_MSI = 0x00;
    static final int UART_IIR_THRI = 0x02;
    static final int UART_IIR_RDI = 0x04;
    static final int UART_IIR_RLSI = 0x06;
    static final int UART_IIR_FIFO_ENABLED = 0xc0;

    static final int UART_FCR_ENABLE_FIFO = 0x01;
    static final int UART_FCR_CLEAR_RCVR = 0x02;
    static final int UART_FCR_CLEAR_XMIT = 0x04;
    static final int UART_FCR_TRIGGER_MASK = 0xc0;

    static final int UART_LCR_DLAB = 0x80;

    static final int UART_MCR_DTR = 0x01;
    static final int UART_MCR_RTS = 0x02;
    static final int UART_MCR_OUT2 = 0x08;
    static final int UART_MCR_AFE = 0x20;

    static final int UART_LSR_DR = 0x01;
    static final int UART_LSR_OE = 0x02;
    static final int UART_LSR_THRE = 0x20;
    static final int UART_LSR_TEMT = 0x40;

    static final int UART_MSR_DCTS = 0x01;
    static final int UART_MSR_DDSR = 0x02;
    static final int UART_MSR_CTS = 0x10;
    static final int UART_MSR_DSR = 0x20;
    static final int UART_MSR_DCD = 0x80;

    /** Set in a result of {@link #read} or {@link #write} when the access raises an interrupt. */
    static final int RAISE_IRQ = 0x100;

    private final byte[] fifo = new byte[FIFO_SIZE];
    private int head;
    private int tail;
    private int count;

    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int divisor;
    private boolean overrun;
    private boolean fifoEnabled;
    private int fifoCapacity;
    private int triggerLevel;

    Uart16550() {
        reset();
    }

    /** Power-on state as mtty.c creates it: 16-byte FIFO on, trigger level 1. */
    void reset() {
        head = tail = count = 0;
        ier = lcr = mcr = scr = divisor = 0;
        overrun = false;
        fifoEnabled = true;
        fifoCapacity = FIFO_SIZE;
        triggerLevel = 1;
    }

    /** Writes {@code value} to register {@code reg}; RAISE_IRQ if an interrupt follows. */
    int write(int reg, int value) {
        value &= 0xff;
        switch (reg) {
            case UART_TX:
                if (dlab()) {
                    divisor = (divisor & 0xff00) | value;
                    return 0;
                }
                return transmit(value);
            case UART_IER:
                if (dlab()) {
                    divisor = (divisor & 0x00ff) | (value << 8);
                    return 0;
                }
                ier = value & 0x0f;
                // Enabling THRI with an empty holding register interrupts at once.
                return (ier & UART_IER_THRI) != 0 && count == 0 ? RAISE_IRQ : 0;
            case UART_FCR:
                if ((value & (UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT)) != 0) {
                    head = tail = count = 0;
                }
                fifoEnabled = (value & UART_FCR_ENABLE_FIFO) != 0;
                if (fifoEnabled) {
                    fifoCapacity = FIFO_SIZE;
                    triggerLevel = switch (value & UART_FCR_TRIGGER_MASK) {
                        case 0x00 -> 1;
                        case 0x40 -> 4;
                        case 0x80 -> 8;
                        default -> 14;
                    };
                } else {
                    fifoCapacity = 1;
                    triggerLevel = 1;
                    head = tail = count = 0;
                }
                return 0;
            case UART_LCR:
                lcr = value;
                return 0;
            case UART_MCR:
                mcr = value;
                return (ier & UART_IER_MSI) != 0
                        && (value & (UART_MCR_OUT2 | UART_MCR_RTS | UART_MCR_DTR)) != 0 ? RAISE_IRQ : 0;
            case UART_SCR:
                scr = value;
                return 0;
            default:
                // LSR and MSR are read-only.
                return 0;
        }
    }

    private int transmit(int value) {
        if (count >= fifoCapacity) {
            overrun = true;
            return (ier & UART_IER_RLSI) != 0 ? RAISE_IRQ : 0;
        }
        fifo[head] = (byte) value;
        head = (head + 1) % FIFO_SIZE;
        count++;
        return (ier & UART_IER_RDI) != 0 && count == triggerLevel ? RAISE_IRQ : 0;
    }

    /** Reads register {@code reg}: the value in the low byte, RAISE_IRQ if an interrupt follows. */
    int read(int reg) {
        switch (reg) {
            case UART_RX: {
                if (dlab()) {
                    return divisor & 0xff;
                }
                int value = 0;
                if (count > 0) {
                    value = fifo[tail] & 0xff;
                    tail = (tail + 1) % FIFO_SIZE;
                    count--;
                    if (count == 0 && (ier & UART_IER_THRI) != 0) {
                        value |= RAISE_IRQ;
                    }
                }
                return value;
            }
            case UART_IER:
                return dlab() ? (divisor >> 8) & 0xff : ier;
            case UART_IIR:
                return pendingInterrupt() | (fifoEnabled ? UART_IIR_FIFO_ENABLED : 0);
            case UART_LCR:
                return lcr;
            case UART_MCR:
                return mcr;
            case UART_LSR: {
                int lsr = 0;
                if (count > 0) {
                    lsr |= UART_LSR_DR;
                }
                if (overrun) {
                    lsr |= UART_LSR_OE;
                    overrun = false;
                }
                if (count == 0) {
                    lsr |= UART_LSR_THRE | UART_LSR_TEMT;
                }
                return lsr;
            }
            case UART_MSR: {
                int msr = UART_MSR_DSR | UART_MSR_DDSR | UART_MSR_DCD;
                // With auto flow control, CTS is asserted only while the FIFO has room.
                if ((mcr & UART_MCR_AFE) == 0 || count < fifoCapacity) {
                    msr |= UART_MSR_CTS | UART_MSR_DCTS;
                }
                return msr;
            }
            case UART_SCR:
                return scr;
            default:
                return 0;
        }
    }

    /** IIR's interrupt id: the highest-priority pending source, or NO_INT. */
    private int pendingInterrupt() {
        if ((ier & UART_IER_RLSI) != 0 && overrun) {
            return UART_IIR_RLSI;
        }
        if ((ier & UART_IER_RDI) != 0 && count >= triggerLevel) {
            return UART_IIR_RDI;
        }
        if ((ier & UART_IER_THRI) != 0 && count == 0) {
            return UART_IIR_THRI;
        }
        if ((ier & UART_IER_MSI) != 0 && (mcr & (UART_MCR_RTS | UART_MCR_DTR)) != 0) {
            return UART_IIR_MSI;
        }
        return UART_IIR_NO_INT;
    }

    private boolean dlab() {
        return (lcr & UART_LCR_DLAB) != 0;
    }

    int divisor() {
        return divisor;
    }

    int fifoCount() {
        return count;
    }

    int triggerLevel() {
        return triggerLevel;
    }
}
