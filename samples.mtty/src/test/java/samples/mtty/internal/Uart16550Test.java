package samples.mtty.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static samples.mtty.internal.Uart16550.*;

import org.junit.jupiter.api.Test;

class Uart16550Test {
    final Uart16550 uart = new Uart16550();

    int read(int reg) {
        return uart.read(reg) & 0xff;
    }

    @Test
    void bytesLoopBackInOrder() {
        for (char c : "abc".toCharArray()) {
            uart.write(UART_TX, c);
        }
        assertThat(read(UART_LSR) & UART_LSR_DR).isNotZero();
        assertThat((char) read(UART_RX)).isEqualTo('a');
        assertThat((char) read(UART_RX)).isEqualTo('b');
        assertThat((char) read(UART_RX)).isEqualTo('c');
        assertThat(read(UART_LSR)).isEqualTo(UART_LSR_THRE | UART_LSR_TEMT);
    }

    @Test
    void theSixteenByteFifoOverrunsAndLsrReadClearsOe() {
        for (int i = 0; i < FIFO_SIZE; i++) {
            uart.write(UART_TX, i);
        }
        assertThat(read(UART_LSR) & UART_LSR_OE).isZero();
        uart.write(UART_TX, 0x99);
        assertThat(read(UART_LSR) & UART_LSR_OE).isNotZero();
        assertThat(read(UART_LSR) & UART_LSR_OE).as("cleared by the read").isZero();
        for (int i = 0; i < FIFO_SIZE; i++) {
            assertThat(read(UART_RX)).isEqualTo(i);
        }
    }

    @Test
    void fcrClearsTheFifoAndSetsTriggerLevels() {
        uart.write(UART_TX, 1);
        uart.write(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
        assertThat(uart.fifoCount()).isZero();
        uart.write(UART_FCR, UART_FCR_ENABLE_FIFO | 0x40);
        assertThat(uart.triggerLevel()).isEqualTo(4);
        uart.write(UART_FCR, UART_FCR_ENABLE_FIFO | 0x80);
        assertThat(uart.triggerLevel()).isEqualTo(8);
        uart.write(UART_FCR, UART_FCR_ENABLE_FIFO | 0xc0);
        assertThat(uart.triggerLevel()).isEqualTo(14);
        assertThat(read(UART_IIR) & UART_IIR_FIFO_ENABLED).isEqualTo(UART_IIR_FIFO_ENABLED);
        uart.write(UART_FCR, 0);
        assertThat(read(UART_IIR) & UART_IIR_FIFO_ENABLED).isZero();
        uart.write(UART_TX, 1);
        uart.write(UART_TX, 2);
        assertThat(read(UART_LSR) & UART_LSR_OE).as("FIFO off: one byte deep").isNotZero();
    }

    @Test
    void receivedDataInterruptsAtTheTriggerLevel() {
        uart.write(UART_FCR, UART_FCR_ENABLE_FIFO | 0x40);
        uart.write(UART_IER, UART_IER_RDI);
        assertThat(uart.write(UART_TX, 1) & RAISE_IRQ).isZero();
        assertThat(uart.write(UART_TX, 2) & RAISE_IRQ).isZero();
        assertThat(uart.write(UART_TX, 3) & RAISE_IRQ).isZero();
        assertThat(read(UART_IIR) & 0x0f).isEqualTo(UART_IIR_NO_INT);
        assertThat(uart.write(UART_TX, 4) & RAISE_IRQ).isEqualTo(RAISE_IRQ);
        assertThat(read(UART_IIR) & 0x0f).isEqualTo(UART_IIR_RDI);
    }

    @Test
    void iirReportsOnlyTheHighestPriorityPendingInterrupt() {
        uart.write(UART_IER, UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI | UART_IER_MSI);
        uart.write(UART_MCR, UART_MCR_RTS);
        assertThat(read(UART_IIR) & 0x0f).as("THR empty beats modem status").isEqualTo(UART_IIR_THRI);
        uart.write(UART_TX, 1);
        assertThat(read(UART_IIR) & 0x0f).as("received data beats THR empty").isEqualTo(UART_IIR_RDI);
        for (int i = 0; i < FIFO_SIZE; i++) {
            uart.write(UART_TX, i);
        }
        assertThat(read(UART_IIR) & 0x0f).as("line status is first").isEqualTo(UART_IIR_RLSI);
        uart.write(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
        read(UART_LSR);
        uart.write(UART_IER, UART_IER_MSI);
        assertThat(read(UART_IIR) & 0x0f).as("modem status, id 0 with bit 0 clear").isEqualTo(UART_IIR_MSI);
        uart.write(UART_MCR, 0);
        assertThat(read(UART_IIR) & 0x0f).isEqualTo(UART_IIR_NO_INT);
    }

    @Test
    void thrEmptyInterruptsWhenEnabledAndWhenTheFifoDrains() {
        assertThat(uart.write(UART_IER, UART_IER_THRI) & RAISE_IRQ).isEqualTo(RAISE_IRQ);
        uart.write(UART_TX, 'x');
        assertThat(uart.read(UART_RX) & RAISE_IRQ).isEqualTo(RAISE_IRQ);
    }

    @Test
    void dlabSwitchesRbrAndIerToTheDivisorLatch() {
        uart.write(UART_LCR, UART_LCR_DLAB | 0x03);
        uart.write(UART_TX, 0x0c);
        uart.write(UART_IER, 0x01);
        assertThat(uart.divisor()).isEqualTo(0x010c);
        assertThat(read(UART_RX)).isEqualTo(0x0c);
        assertThat(read(UART_IER)).isEqualTo(0x01);
        uart.write(UART_TX, 0x30);
        assertThat(uart.divisor()).as("the low byte is replaced").isEqualTo(0x0130);
        uart.write(UART_LCR, 0x03);
        assertThat(read(UART_LCR)).isEqualTo(0x03);
        assertThat(uart.fifoCount()).isZero();
    }

    @Test
    void scratchAndModemStatus() {
        uart.write(UART_SCR, 0x5a);
        assertThat(read(UART_SCR)).isEqualTo(0x5a);
        assertThat(read(UART_MSR)).isEqualTo(UART_MSR_DSR | UART_MSR_DDSR | UART_MSR_DCD | UART_MSR_CTS | UART_MSR_DCTS);
        uart.write(UART_MCR, UART_MCR_AFE);
        for (int i = 0; i < FIFO_SIZE; i++) {
            uart.write(UART_TX, i);
        }
        assertThat(read(UART_MSR) & UART_MSR_CTS).as("flow control: FIFO full").isZero();
    }
}
