//! `VectorBuffers`: the on-chip vectors of a step: x (the input, int8), h (the hidden
//! state, int8) and c (the LSTM cell state, int32), 16 bytes per word. The router writes
//! the words read from DRAM; the cell unit reads h and c and writes them back; the
//! datapath reads one byte of x (pass 0) or h (pass 1) per column.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct VectorBuffers {
    /// UI clock; all ports are in this domain.
    pub clock: Signal<In, Clock>,
    /// Router writes: `word` at word address `addr` of x, h or c.
    pub word: Signal<In, Bits<128>>,
    pub addr: Signal<In, Bits<16>>,
    pub x_write: Signal<In, Bit>,
    pub h_write: Signal<In, Bit>,
    pub c_write: Signal<In, Bit>,
    /// Cell unit ports (it owns h and c while it works: `cell_busy`).
    pub cell_busy: Signal<In, Bit>,
    pub cell_h_wr_en: Signal<In, Bit>,
    pub cell_h_wr_addr: Signal<In, Bits<5>>,
    pub cell_h_wr_data: Signal<In, Bits<128>>,
    pub cell_c_wr_en: Signal<In, Bit>,
    pub cell_c_wr_addr: Signal<In, Bits<7>>,
    pub cell_c_wr_data: Signal<In, Bits<128>>,
    pub cell_h_rd_addr: Signal<In, Bits<5>>,
    pub cell_c_rd_addr: Signal<In, Bits<7>>,
    pub h_rd_data: Signal<Out, Bits<128>>,
    pub c_rd_data: Signal<Out, Bits<128>>,
    /// Datapath read: element `col` of x, or of h when `pass` is high; `x_value` is element
    /// `sel` (low bits of the column) of the word read the cycle before.
    pub col: Signal<In, Bits<16>>,
    pub sel: Signal<In, Bits<4>>,
    pub pass: Signal<In, Bit>,
    pub x_value: Signal<Out, Bits<8>>,
    xbuf: RAM<Bits<128>, 7>,
    hbuf: RAM<Bits<128>, 5>,
    cbuf: RAM<Bits<128>, 7>,
    x_value_v: Signal<Local, Bits<8>>,
}

impl Logic for VectorBuffers {
    #[hdl_gen]
    fn update(&mut self) {
        self.xbuf.read_clock.next = self.clock.val();
        self.xbuf.write_clock.next = self.clock.val();
        self.hbuf.read_clock.next = self.clock.val();
        self.hbuf.write_clock.next = self.clock.val();
        self.cbuf.read_clock.next = self.clock.val();
        self.cbuf.write_clock.next = self.clock.val();
        self.xbuf.write_enable.next = self.x_write.val();
        self.xbuf.write_address.next = self.addr.val().get_bits::<7>(0);
        self.xbuf.write_data.next = self.word.val();
        self.hbuf.write_enable.next = self.cell_h_wr_en.val();
        self.hbuf.write_address.next = self.cell_h_wr_addr.val();
        self.hbuf.write_data.next = self.cell_h_wr_data.val();
        if self.h_write.val() {
            self.hbuf.write_enable.next = true;
            self.hbuf.write_address.next = self.addr.val().get_bits::<5>(0);
            self.hbuf.write_data.next = self.word.val();
        }
        self.cbuf.write_enable.next = self.cell_c_wr_en.val();
        self.cbuf.write_address.next = self.cell_c_wr_addr.val();
        self.cbuf.write_data.next = self.cell_c_wr_data.val();
        if self.c_write.val() {
            self.cbuf.write_enable.next = true;
            self.cbuf.write_address.next = self.addr.val().get_bits::<7>(0);
            self.cbuf.write_data.next = self.word.val();
        }
        self.xbuf.read_address.next = self.col.val().get_bits::<7>(4);
        self.hbuf.read_address.next = self.col.val().get_bits::<5>(4);
        if self.cell_busy.val() {
            self.hbuf.read_address.next = self.cell_h_rd_addr.val();
        }
        self.cbuf.read_address.next = self.cell_c_rd_addr.val();
        self.h_rd_data.next = self.hbuf.read_data.val();
        self.c_rd_data.next = self.cbuf.read_data.val();
        self.x_value_v.next = self
            .xbuf
            .read_data
            .val()
            .get_bits::<8>(self.sel.val().index() * 8);
        if self.pass.val() {
            self.x_value_v.next = self
                .hbuf
                .read_data
                .val()
                .get_bits::<8>(self.sel.val().index() * 8);
        }
        // Outputs once (see `datapath_port.rs`).
        self.x_value.next = self.x_value_v.val();
    }
}

crate::synth_test!(VectorBuffers::default());
